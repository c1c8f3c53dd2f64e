// Unit tests of src/api/error.rs, moved out of its #[cfg(test)] module (see mod.rs).
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tessera::api::error::ApiError;

fn header(res: &Response, name: header::HeaderName) -> Option<&str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

#[test]
fn a_failed_client_gets_the_basic_challenge_and_a_bad_token_the_bearer_one() {
    let res = ApiError::invalid_client().into_response();
    assert_eq!(res.status(), 401);
    assert_eq!(header(&res, header::WWW_AUTHENTICATE), Some("Basic realm=\"tessera\""));
    let res = ApiError::invalid_token("The token has \"expired\"").into_response();
    assert_eq!(
        header(&res, header::WWW_AUTHENTICATE),
        Some("Bearer error=\"invalid_token\", error_description=\"The token has 'expired'\"")
    );
    let res = ApiError::invalid_grant("no").into_response();
    assert_eq!(header(&res, header::WWW_AUTHENTICATE), None);
    assert_eq!(header(&res, header::CACHE_CONTROL), Some("no-store"));
}

#[test]
fn a_limit_says_when_to_come_back_at_least_a_second_ahead() {
    let res = ApiError::rate_limited(0, "wait").into_response();
    assert_eq!((res.status().as_u16(), header(&res, header::RETRY_AFTER)), (429, Some("1")));
}
