pub mod chart;
pub mod cost;
pub mod layout;
pub mod modal;
pub mod people_dialog;
pub mod status;
pub mod table;
