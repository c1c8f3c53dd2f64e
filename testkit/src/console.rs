//! Talking to a running server as the console's browser code does: server functions are
//! form posts to `/api/{name}` answered in JSON; signing in is one of them and leaves the
//! session cookie in the client's jar.

/// A client with its own cookie jar that does not follow redirects. A request that gets no
/// complete answer in a minute fails (naming its URL) instead of hanging the run.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client")
}

/// Calls the server function `func` of the server at `base` (form in, JSON out): the
/// status and the body (a JSON string when the body is not JSON).
pub async fn call(
    c: &reqwest::Client,
    base: &str,
    func: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let res = c
        .post(format!("{base}/api/{func}"))
        .header("Accept", "application/json")
        .form(form)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

/// Calls the server function `func` with a JSON body (the functions that take lists); the
/// status and the body, `null` when it is not JSON.
pub async fn call_json(
    c: &reqwest::Client,
    base: &str,
    func: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let res = c
        .post(format!("{base}/api/{func}"))
        .header("Accept", "application/json")
        .json(body)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// Signs `c` in at `base`; the answer as `call` gives it.
pub async fn sign_in(
    c: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> (u16, serde_json::Value) {
    call(c, base, "sign_in", &[("email", email), ("password", password)]).await
}

/// A new client signed in at `base` as `email` with the test password; the sign-in must
/// succeed.
pub async fn signed_in(base: &str, email: &str) -> reqwest::Client {
    let c = client();
    let (status, body) = sign_in(&c, base, email, crate::personas::PASSWORD).await;
    assert!(status < 400, "sign-in as {email}: {status} {body}");
    c
}
