//! The console's site files (wasm, JS, CSS, images), so that one `tessera` binary serves
//! them from any directory (R-OPS1). They are taken from, in this order: the folder
//! `--site-root` names; a `site/` folder beside the binary (a copied release); the files
//! embedded in the binary when it was built after `cargo leptos build --release`
//! (`cargo install` of a built tree); `target/site` (development).
//!
//! The bundle's names carry a content hash (`/pkg/tessera.<hash>.wasm`: one hash of the
//! JS, wasm and CSS together), so browsers may keep them for a year (`immutable`) and a new
//! release is fetched at once. Variants precompressed at build time (`cargo leptos build
//! --release --precompress` writes `.br` and `.gz` beside each file) are served to clients
//! that accept them. HTML is never cached (`startup::no_store_for_documents`).
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

/// The site as `cargo leptos build` left it, compiled into release builds (the folder is
/// then relative to Cargo.toml); debug builds read it from disk, relative to the working
/// directory. Missing when the binary was built before the site.
#[derive(rust_embed::Embed)]
#[folder = "target/site/"]
#[allow_missing = true]
struct Embedded;

/// Where the files came from, for the start-up log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Folder(PathBuf),
    Embedded,
    /// No built console anywhere: pages render but do not hydrate.
    Missing,
}

/// Every site file, in memory (a few megabytes), by its path under the site root.
#[derive(Clone, Debug)]
pub struct Site {
    files: Arc<HashMap<String, axum::body::Bytes>>,
    pub origin: Origin,
    /// First hex digits of a hash of the bundle (JS, wasm, CSS); empty when missing.
    pub version: String,
    /// The folder leptos_axum's fallback serves from (the chosen folder, or none).
    pub root: PathBuf,
}

const BUNDLE: [&str; 3] = ["pkg/tessera.js", "pkg/tessera.wasm", "pkg/tessera.css"];

impl Site {
    /// The site by the order in the module's header; `explicit` is `--site-root`.
    pub fn locate(explicit: Option<&FsPath>) -> Site {
        if let Some(dir) = explicit {
            return Site::from_folder(dir);
        }
        let beside = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|d| d.join("site")));
        if let Some(dir) = beside.filter(|d| d.join("pkg/tessera.wasm").is_file()) {
            return Site::from_folder(&dir);
        }
        let embedded = Site::embedded();
        if embedded.origin == Origin::Embedded {
            return embedded;
        }
        Site::from_folder(FsPath::new("target/site"))
    }

    pub fn from_folder(dir: &FsPath) -> Site {
        let mut files = HashMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else { continue };
            for e in entries.flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let (Ok(rel), Ok(bytes)) = (path.strip_prefix(dir), std::fs::read(&path)) {
                    files.insert(rel.to_string_lossy().replace('\\', "/"), axum::body::Bytes::from(bytes));
                }
            }
        }
        let origin = if files.contains_key("pkg/tessera.wasm") {
            Origin::Folder(dir.to_path_buf())
        } else {
            Origin::Missing
        };
        Site::with(files, origin, dir.to_path_buf())
    }

    fn embedded() -> Site {
        let files: HashMap<String, axum::body::Bytes> = Embedded::iter()
            .filter_map(|name| {
                Embedded::get(&name).map(|f| (name.to_string(), axum::body::Bytes::from(f.data.into_owned())))
            })
            .collect();
        let origin = if files.contains_key("pkg/tessera.wasm") { Origin::Embedded } else { Origin::Missing };
        Site::with(files, origin, PathBuf::from("target/site"))
    }

    /// The site from its files, with the bundle's version hash. Public for the tests
    /// (tests/api/edge), which build a site in memory.
    #[doc(hidden)]
    pub fn with(files: HashMap<String, axum::body::Bytes>, origin: Origin, root: PathBuf) -> Site {
        let version = if origin == Origin::Missing {
            String::new()
        } else {
            let mut h = Sha256::new();
            for name in BUNDLE {
                if let Some(b) = files.get(name) {
                    h.update(name.as_bytes());
                    h.update(b);
                }
            }
            h.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect()
        };
        Site { files: Arc::new(files), origin, version, root }
    }

    /// The bundle's name as pages link it: `tessera.<hash>` (leptos' `output_name`).
    pub fn output_name(&self) -> String {
        if self.version.is_empty() {
            "tessera".to_string()
        } else {
            format!("tessera.{}", self.version)
        }
    }

    /// The stored name of a requested file, and whether the request named this release's
    /// hash (then the answer never changes).
    fn resolve<'a>(&self, requested: &'a str) -> (std::borrow::Cow<'a, str>, bool) {
        if !self.version.is_empty() {
            let versioned = format!("pkg/tessera.{}.", self.version);
            if let Some(ext) = requested.strip_prefix(&versioned) {
                return (format!("pkg/tessera.{ext}").into(), true);
            }
        }
        (requested.into(), false)
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// The encodings the client accepts, as `Accept-Encoding` lists them (q=0 refuses one).
fn accepts(headers: &HeaderMap, encoding: &str) -> bool {
    headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').any(|part| {
            let mut it = part.split(';');
            let name = it.next().unwrap_or("").trim();
            let refused = it.any(|p| p.trim().replace(' ', "") == "q=0");
            name.eq_ignore_ascii_case(encoding) && !refused
        })
    })
}

/// `GET /pkg/{*file}` and the public files at the root (`/favicon.svg`).
pub async fn serve(State(site): State<Site>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    serve_file(&site, &format!("pkg/{file}"), &headers)
}

pub fn serve_file(site: &Site, requested: &str, headers: &HeaderMap) -> Response {
    let (name, immutable) = site.resolve(requested);
    let Some(plain) = site.files.get(name.as_ref()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (body, encoding) = [("br", ".br"), ("gzip", ".gz")]
        .iter()
        .find_map(|(enc, ext)| {
            let variant = site.files.get(&format!("{name}{ext}"))?;
            accepts(headers, enc).then(|| (variant.clone(), Some(*enc)))
        })
        .unwrap_or((plain.clone(), None));
    let mut res = Response::new(Body::from(body));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&name)));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(enc) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
    }
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else if name.starts_with("pkg/") {
        // An unhashed bundle name: revalidate, so an old copy never outlives a release.
        "no-cache"
    } else {
        "public, max-age=86400"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

/// The files at the site's top level (the public folder: favicon and the like), to mount
/// one route each.
pub fn top_level_files(site: &Site) -> Vec<String> {
    let mut names: Vec<String> = site
        .files
        .keys()
        .filter(|n| !n.contains('/') && !n.ends_with(".br") && !n.ends_with(".gz"))
        .cloned()
        .collect();
    names.sort();
    names
}
