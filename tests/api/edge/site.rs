// Unit tests of src/site.rs, moved out of its #[cfg(test)] module (see mod.rs).
use axum::http::{header, HeaderMap, HeaderValue};
use std::path::PathBuf;
use tessera::site::{serve_file, Origin, Site};

fn site(files: &[(&str, &str)]) -> Site {
    let files = files.iter().map(|(n, b)| (n.to_string(), axum::body::Bytes::from(b.to_string()))).collect();
    Site::with(files, Origin::Embedded, PathBuf::new())
}

fn headers(accept: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(accept).unwrap());
    h
}

#[test]
fn a_hashed_name_is_immutable_and_the_best_accepted_variant_is_served() {
    let s = site(&[
        ("pkg/tessera.js", "js"),
        ("pkg/tessera.wasm", "wasm"),
        ("pkg/tessera.wasm.br", "br"),
        ("pkg/tessera.wasm.gz", "gz"),
        ("pkg/tessera.css", "css"),
    ]);
    assert_eq!(s.version.len(), 12);
    let name = format!("pkg/{}.wasm", s.output_name());
    let res = serve_file(&s, &name, &headers("gzip, deflate, br"));
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(res.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/wasm");
    let res = serve_file(&s, &name, &headers("gzip, br;q=0"));
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    let res = serve_file(&s, &name, &HeaderMap::new());
    assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
    // The unhashed name still answers, revalidated; another hash is not this release's.
    let res = serve_file(&s, "pkg/tessera.css", &HeaderMap::new());
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");
    assert_eq!(serve_file(&s, "pkg/tessera.0123456789ab.wasm", &HeaderMap::new()).status(), 404);
}

#[test]
fn the_hash_changes_with_the_bundle() {
    let a = site(&[("pkg/tessera.js", "a"), ("pkg/tessera.wasm", "w"), ("pkg/tessera.css", "c")]);
    let b = site(&[("pkg/tessera.js", "a"), ("pkg/tessera.wasm", "w2"), ("pkg/tessera.css", "c")]);
    assert_ne!(a.version, b.version);
}
