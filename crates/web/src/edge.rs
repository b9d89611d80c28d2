//! What every request passes on its way in and every answer on its way out, whatever the route:
//! text that cannot be stored is refused before any handler sees it, and every answer carries the
//! browser-side guards (content security policy, framing, sniffing, referrer).

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use onego_domain::values::forbidden_char;

use crate::AppState;
use crate::error::ApiError;
use crate::ui::{Lang, Page, error_page};

/// Scripts and styles only from onego's own files (no inline script or style, no eval; the chart library
/// styles what it draws through the DOM, which the policy allows); nothing may frame a page. The browser
/// tests fail on anything this refuses.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers to every answer.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    for (name, value) in [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
    ] {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    res
}

/// Largest JSON or form body read here (the routes' own limits are the same or larger only for
/// multipart uploads, which are checked field by field where they are read).
const TEXT_BODY_LIMIT: usize = crate::BODY_LIMIT;

/// Refuses a request whose address or JSON/form body carries text that cannot be stored: NUL and other
/// control characters, or bytes that are not UTF-8. Nothing behind this sees such text, so nothing is
/// stored and no database error can follow; the answer says what to do, in the caller's language.
pub async fn reject_bad_text(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    if !decoded_ok(path.as_bytes(), false) || !decoded_ok(query.as_bytes(), true) {
        return refuse(&state, &req, Where::Address);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let json = content_type.starts_with("application/json");
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    if !json && !form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, TEXT_BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body is larger than 1 MiB or was cut off; send less",
            )
            .into_response();
        }
    };
    let ok = if json {
        json_text_ok(&bytes)
    } else {
        decoded_ok(&bytes, true)
    };
    let req = Request::from_parts(parts, Body::from(bytes));
    if !ok {
        return refuse(&state, &req, Where::Body);
    }
    next.run(req).await
}

enum Where {
    Address,
    Body,
}

fn refuse(state: &AppState, req: &Request, at: Where) -> Response {
    let path = req.uri().path();
    let (zh, en) = match at {
        Where::Address => (
            "网址中含有不能处理的字符（空字符、控制字符或非UTF-8编码），请删去后重试。",
            "The address contains characters that cannot be handled (NUL, control characters or bytes \
             that are not UTF-8); remove them and try again.",
        ),
        Where::Body => (
            "提交的内容中含有不能保存的字符（空字符、控制字符或非UTF-8编码），请删去后重新提交。",
            "The text sent contains characters that cannot be stored (NUL, control characters or bytes \
             that are not UTF-8); remove them and send it again.",
        ),
    };
    if path.starts_with("/api/") {
        return ApiError::bad_request(en).into_response();
    }
    if path.starts_with("/open311/") {
        return crate::open311::error_response(path, StatusCode::BAD_REQUEST, en);
    }
    let lang = match crate::auth::cookie(req.headers(), "lang") {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    };
    let page = Page {
        auth: None,
        lang,
        elder: crate::auth::cookie(req.headers(), "elder") == Some("1"),
        path: "/".into(),
        posted: false,
        expired: false,
        from: None,
    };
    let message = if page.en() { en } else { zh };
    error_page(state, &page, StatusCode::BAD_REQUEST, message)
}

/// Percent-decodes `raw` (with `+` as a space in forms and queries) and checks that the result is UTF-8
/// text without forbidden characters.
fn decoded_ok(raw: &[u8], plus_is_space: bool) -> bool {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'%'
            && i + 2 < raw.len()
            && let (Some(h), Some(l)) = (hex(raw[i + 1]), hex(raw[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(if plus_is_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    match std::str::from_utf8(&out) {
        Ok(text) => forbidden_char(text).is_none(),
        Err(_) => false,
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Whether the strings of a JSON text are free of forbidden characters, written raw or as `\u` escapes.
/// Malformed JSON passes here: the handler's parser reports it with a better message.
fn json_text_ok(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let mut chars = text.chars();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if !in_string {
            in_string = c == '"';
            continue;
        }
        match c {
            '"' => in_string = false,
            '\\' => match chars.next() {
                Some('u') => {
                    let digits: String = chars.by_ref().take(4).collect();
                    if let Ok(code) = u32::from_str_radix(&digits, 16)
                        && char::from_u32(code).is_some_and(|c| !onego_domain::values::allowed_char(c))
                    {
                        return false;
                    }
                }
                Some('b' | 'f') => return false,
                _ => {}
            },
            c if !onego_domain::values::allowed_char(c) => return false,
            _ => {}
        }
    }
    true
}

/// `Some(path)` when `target` is a path on this site and safe to send a browser to after a form
/// (`next`, `back`): it begins with one `/`, and holds no backslash, space or control character — browsers
/// read `/\host`, `//host` and `/<tab>/host` as another site.
pub fn local_path(target: &str) -> Option<&str> {
    let mut chars = target.chars();
    let ok = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/') | Some('\\'))
        && !target
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control());
    ok.then_some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_with_nul_or_control_characters_is_refused_wherever_it_is_written() {
        assert!(decoded_ok(b"/track?number=R123", true));
        assert!(!decoded_ok(b"number=R%00", true));
        assert!(!decoded_ok(b"a=%1b", true));
        assert!(!decoded_ok(b"a=%ff", true), "not UTF-8");
        assert!(decoded_ok("a=中华路%0A第二行".as_bytes(), true));
        assert!(json_text_ok(br#"{"a": "x\ty", "b": "\u4e2d", "c": "\\u0000"}"#));
        assert!(!json_text_ok(br#"{"a": "x\u0000"}"#));
        assert!(!json_text_ok(br#"{"a": "\u001B[31m"}"#));
        assert!(!json_text_ok(br#"{"a": "\b"}"#));
    }

    #[test]
    fn only_paths_on_this_site_are_redirect_targets() {
        for good in ["/", "/cases/12", "/tickets?status=open&x=%2F"] {
            assert_eq!(local_path(good), Some(good));
        }
        for bad in [
            "//evil.example/x",
            "/\\evil.example/x",
            "https://evil.example/",
            "/\t/evil.example",
            "/a b",
            "evil.example",
            "",
            "javascript:alert(1)",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}
