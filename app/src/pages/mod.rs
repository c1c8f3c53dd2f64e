pub mod home;
pub mod not_found;
pub mod root;
pub mod sign_in;
