//! A minimal W3C WebDriver client over HTTP, enough to drive the app's
//! webview through `WebKitWebDriver`.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long element look-ups wait before a test calls the UI stuck.
pub const UI_WAIT: Duration = Duration::from_secs(15);

/// One WebDriver session.
pub struct Session {
    http: reqwest::Client,
    base: String,
}

/// An element of the page.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Session {
    /// A session that is no longer open (what a closed app leaves behind).
    pub fn placeholder() -> Self {
        Self {
            http: reqwest::Client::new(),
            base: String::new(),
        }
    }

    /// Opens a session with the given capabilities.
    pub async fn open(driver_url: &str, capabilities: Value) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let resp = send(
            http.post(format!("{driver_url}/session"))
                .json(&json!({ "capabilities": capabilities })),
        )
        .await?;
        let id = resp["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session: {resp}"))?;
        Ok(Self {
            http,
            base: format!("{driver_url}/session/{id}"),
        })
    }

    async fn cmd(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = send(req).await?;
        if let Some(err) = resp["value"]["error"].as_str() {
            return Err(format!("{err}: {}", resp["value"]["message"]));
        }
        Ok(resp["value"].clone())
    }

    /// All elements matching a CSS selector, now.
    pub async fn all(&self, css: &str) -> Vec<Element> {
        let found = self
            .cmd(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await
            .unwrap_or(Value::Null);
        found
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(|s| Element(s.into())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + UI_WAIT;
        loop {
            if let Some(e) = self.all(css).await.into_iter().next() {
                return e;
            }
            assert!(
                Instant::now() < deadline,
                "no element {css} within {UI_WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the text of the first `css` element satisfies `ok`; returns it.
    pub async fn wait_text(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + UI_WAIT;
        let mut last = String::new();
        loop {
            if let Some(e) = self.all(css).await.into_iter().next() {
                last = self.text(&e).await;
                if ok(&last) {
                    return last;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{css}: expected {what}, last saw {last:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let deadline = Instant::now() + UI_WAIT;
        while !self.all(css).await.is_empty() {
            assert!(
                Instant::now() < deadline,
                "{css} still present after {UI_WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A string a GET command answers, if any.
    async fn get_string(&self, path: &str) -> Option<String> {
        self.cmd(reqwest::Method::GET, path, None)
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    }

    pub async fn text(&self, e: &Element) -> String {
        self.get_string(&format!("/element/{}/text", e.0))
            .await
            .unwrap_or_default()
    }

    pub async fn attr(&self, e: &Element, name: &str) -> Option<String> {
        self.get_string(&format!("/element/{}/attribute/{name}", e.0))
            .await
    }

    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{}/click", e.0),
            Some(json!({})),
        )
        .await
        .unwrap_or_else(|err| panic!("click {css}: {err}"));
    }

    /// Types into an element (`\u{E007}` is Enter).
    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{}/value", e.0),
            Some(json!({"text": text})),
        )
        .await
        .unwrap_or_else(|err| panic!("type into {css}: {err}"));
    }

    /// Runs a script in the page.
    pub async fn script(&self, script: &str, args: Value) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
        .unwrap_or_else(|err| panic!("script failed: {err}"))
    }

    /// Resizes the window (content may be a little smaller: decorations).
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.cmd(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await
        .unwrap_or_else(|err| panic!("resize to {width}x{height}: {err}"));
    }

    /// A PNG of the page.
    pub async fn screenshot(&self) -> Vec<u8> {
        let b64 = self
            .cmd(reqwest::Method::GET, "/screenshot", None)
            .await
            .unwrap_or(Value::Null);
        decode_base64(b64.as_str().unwrap_or_default())
    }

    /// Ends the session (the driver closes the app).
    pub async fn close(self) {
        let _ = self.cmd(reqwest::Method::DELETE, "", None).await;
    }
}

/// Sends a WebDriver request and reads its JSON answer.
async fn send(req: reqwest::RequestBuilder) -> Result<Value, String> {
    req.send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())
}

fn decode_base64(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut buf, mut bits) = (0u32, 0);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}
