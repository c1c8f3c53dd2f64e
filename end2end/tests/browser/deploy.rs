//! Deploying Tessera (R-VND1, R-OPS1): an installation started without the demo is set up
//! by the vendor's order system through the provisioning API and the command line, and
//! its admin sees it in the console; a copied binary serves its own console, compressed,
//! from any directory.
use playwright_rs::expect;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use tessera_e2e::*;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// What `cargo leptos build --release --precompress` leaves beside each bundle file: a
/// `.br` and a `.gz` (made here with Node's zlib).
fn precompress(pkg: &Path) {
    let script = r#"
        const fs = require("fs"), zlib = require("zlib"), path = require("path");
        for (const f of fs.readdirSync(process.argv[1])) {
            if (!/\.(js|wasm|css)$/.test(f)) continue;
            const p = path.join(process.argv[1], f), b = fs.readFileSync(p);
            fs.writeFileSync(p + ".br", zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9 } }));
            fs.writeFileSync(p + ".gz", zlib.gzipSync(b, { level: 9 }));
        }"#;
    let out = Command::new("node").args(["-e", script]).arg(pkg).output().expect("node");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_binary_serves_its_own_console_compressed_from_any_directory() {
    let root = workspace_root();
    let place = tempfile::tempdir().unwrap();
    let bin = place.path().join("tessera");
    std::fs::copy(root.join("target/debug/tessera"), &bin).unwrap();
    copy_dir(&root.join("target/site"), &place.path().join("site"));
    precompress(&place.path().join("site/pkg"));
    // Started from its data folder (outside the repository), with no --site-root.
    let server = Server::start_with(Options { installed: Some(bin), ..Default::default() });

    let chromium = chromium().await;
    let page = chromium.page().await;
    page.goto(&server.at("/sign-in"), None).await.unwrap();
    hydrated(&page).await;
    expect(page.locator("h1")).to_contain_text("Sign in").await.unwrap();
    chromium.close().await;

    let c = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
    let html = c.get(server.at("/sign-in")).send().await.unwrap();
    assert_eq!(html.headers()["cache-control"], "no-store", "HTML is never cached");
    let html = html.text().await.unwrap();
    let end = html.find(".wasm").expect("the page links the wasm") + ".wasm".len();
    let wasm = &html[html[..end].rfind("/pkg/").expect("under /pkg/")..end];
    assert!(wasm.len() > "/pkg/tessera..wasm".len() + 8, "the name carries a content hash: {wasm}");
    let plain = std::fs::metadata(place.path().join("site/pkg/tessera.wasm")).unwrap().len();
    let mut first_page = 0;
    for (accept, encoding, file) in [
        ("br, gzip", Some("br"), "tessera.wasm.br"),
        ("gzip", Some("gzip"), "tessera.wasm.gz"),
        ("identity", None, "tessera.wasm"),
    ] {
        let res = c.get(server.at(wasm)).header("accept-encoding", accept).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers().get("content-encoding").map(|v| v.to_str().unwrap()), encoding);
        assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert_eq!(res.headers()["content-type"], "application/wasm");
        let body = res.bytes().await.unwrap();
        assert_eq!(
            body.len() as u64,
            std::fs::metadata(place.path().join("site/pkg").join(file)).unwrap().len()
        );
        if encoding == Some("br") {
            first_page += body.len();
            assert!((body.len() as u64) < plain / 2, "brotli at least halves the wasm");
        }
    }
    eprintln!("the wasm: {plain} bytes, {first_page} over the wire with brotli");
}

/// A new installation, set up the way a vendor would: the order system provisions a product,
/// a team, its seats and tokens (one order retried with the same key), the CLI makes the
/// team's admin, who then signs in and sees them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_sets_up_an_installation_without_the_demo() {
    let server = Server::start_with(Options { no_demo: true, ..Default::default() });
    assert_eq!(server.cli(&["team", "list"]), json!([]), "nothing but what the vendor adds");
    let vendor = server.cli(&["team", "create", "--name", "Vendor back office"]);
    let app = server.cli(&[
        "app",
        "create",
        "--team",
        vendor["id"].as_str().unwrap(),
        "--name",
        "Orders",
        "--operator",
    ]);
    let c = reqwest::Client::new();
    let token: Value = c
        .post(server.at("/authentication/v2/token"))
        .basic_auth(app["client_id"].as_str().unwrap(), app["client_secret"].as_str())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_string();
    let order = |path: &str, key: &str, body: Value| {
        c.post(server.at(&format!("/provisioning/v1/{path}")))
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(&body)
    };
    let ok = |res: reqwest::Response| async move {
        assert!(res.status().is_success(), "{}", res.status());
        res.json::<Value>().await.unwrap()
    };
    ok(order("products", "p1", json!({"code": "CAD-MAX", "name": "CAD Max", "flex_rate": 5}))
        .send()
        .await
        .unwrap())
    .await;
    ok(order("products", "p2", json!({"code": "VIEWER", "name": "Viewer"})).send().await.unwrap()).await;
    let team = ok(order("teams", "t1", json!({"name": "Acme Design"})).send().await.unwrap()).await;
    let team_id = team["id"].as_str().unwrap().to_string();
    let seats = json!({"product": "VIEWER", "seats": 25, "ends_at": "2099-01-01"});
    ok(order(&format!("teams/{team_id}/subscriptions"), "s1", seats).send().await.unwrap()).await;
    let buy = json!({"amount": 1000});
    let first =
        ok(order(&format!("teams/{team_id}/purchases"), "b1", buy.clone()).send().await.unwrap()).await;
    let retry = order(&format!("teams/{team_id}/purchases"), "b1", buy).send().await.unwrap();
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(ok(retry).await, first, "the retried purchase is the same purchase");

    server.cli_with_input(
        &[
            "admin",
            "create",
            "--team",
            &team_id,
            "--email",
            "grace@acme.example",
            "--name",
            "Grace Hopper",
            "--password-stdin",
        ],
        "a long secret password\n",
    );
    // A Flex user with every product, imported (no email is sent).
    let csv = server.dir.path().join("people.csv");
    std::fs::write(&csv, "name,email,products\nAda Lovelace,ada@acme.example,*\n").unwrap();
    server.cli(&["import", "--team", &team_id, csv.to_str().unwrap()]);

    let chromium = chromium().await;
    let page = chromium.page().await;
    page.goto(&server.at("/sign-in"), None).await.unwrap();
    hydrated(&page).await;
    page.locator("#email").fill("grace@acme.example", None).await.unwrap();
    page.locator("#password").fill("a long secret password", None).await.unwrap();
    page.locator("button[type=submit]").click(None).await.unwrap();
    wait_for_path(&page, "/t/").await;
    expect(page.locator("[data-testid=current-team]")).to_have_text("Acme Design").await.unwrap();
    expect(page.locator("[data-testid=figure-tokens] .figure")).to_have_text("1,000").await.unwrap();
    expect(page.locator("[data-testid=held-products]")).to_contain_text("Viewer").await.unwrap();
    // The product added by the order system reaches the "all products" Flex user.
    page.goto(&server.at(&format!("/t/{team_id}/users")), None).await.unwrap();
    page.get_by_text("Ada Lovelace", false).first().click(None).await.unwrap();
    expect(page.locator("[data-testid=flex-effective]")).to_contain_text("CAD Max").await.unwrap();
    chromium.close().await;
}
