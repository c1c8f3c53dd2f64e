// Unit tests of src/ip_limits.rs, moved out of its #[cfg(test)] module (see mod.rs).
use axum::http::HeaderMap;
use axum::http::HeaderValue;
use std::net::IpAddr;
use tessera::ip_limits::{checks_a_password, client_ip, limit_key, IpLimits};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn forwarded(values: &[&str]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for v in values {
        h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
    }
    h
}

#[test]
fn forwarded_for_is_ignored_unless_proxies_are_trusted() {
    let h = forwarded(&["198.51.100.7"]);
    assert_eq!(client_ip(ip("10.0.0.2"), &h, 0), ip("10.0.0.2"));
}

#[test]
fn the_entry_our_outermost_proxy_wrote_is_the_client() {
    // The client wrote "1.2.3.4" itself; our one proxy appended the real peer.
    let h = forwarded(&["1.2.3.4, 198.51.100.7"]);
    assert_eq!(client_ip(ip("10.0.0.2"), &h, 1), ip("198.51.100.7"));
    // Two proxies: the outer one appended the client, the inner one the outer proxy.
    let h = forwarded(&["1.2.3.4", "198.51.100.7, 10.0.0.9"]);
    assert_eq!(client_ip(ip("10.0.0.2"), &h, 2), ip("198.51.100.7"));
    let h = forwarded(&["[2001:db8::1]:4711"]);
    assert_eq!(client_ip(ip("10.0.0.2"), &h, 1), ip("2001:db8::1"));
}

#[test]
fn a_request_that_skipped_a_proxy_counts_as_its_peer() {
    assert_eq!(client_ip(ip("10.0.0.2"), &HeaderMap::new(), 1), ip("10.0.0.2"));
    assert_eq!(client_ip(ip("10.0.0.2"), &forwarded(&["198.51.100.7"]), 2), ip("10.0.0.2"));
    assert_eq!(client_ip(ip("10.0.0.2"), &forwarded(&["not-an-address"]), 1), ip("10.0.0.2"));
}

#[test]
fn ipv6_clients_share_a_bucket_per_64() {
    assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
    assert_eq!(limit_key(ip("2001:db8:1:2:ffff::9")), limit_key(ip("2001:db8:1:2::1")));
    assert_ne!(limit_key(ip("2001:db8:1:3::1")), limit_key(ip("2001:db8:1:2::1")));
    assert_eq!(limit_key(ip("::ffff:198.51.100.7")), ip("198.51.100.7"));
    assert_eq!(limit_key(ip("198.51.100.7")), ip("198.51.100.7"));
}

#[test]
fn zero_turns_a_limit_off() {
    let off = IpLimits { sign_in_limit_per_minute: 0, token_limit_per_minute: 0, ..IpLimits::default() };
    assert!(off.sign_in_layer().is_none() && off.token_layer().is_none());
    assert!(IpLimits::default().sign_in_layer().is_some());
}

#[test]
fn every_password_check_is_behind_the_per_ip_limit() {
    use axum::http::Method;
    assert!(checks_a_password(&Method::POST, "/api/sign_in"));
    assert!(checks_a_password(&Method::POST, "/api/accept_invitation"));
    assert!(checks_a_password(&Method::POST, "/sso/link"));
    // Showing the form checks nothing.
    assert!(!checks_a_password(&Method::GET, "/sso/link"));
    assert!(!checks_a_password(&Method::POST, "/api/whoami"));
}
