//! Fault specs (CLI and admin HTTP), fault responses, and the admin endpoints.

use crate::server::{DropConnection, Kind, Req, Resp, Shared, json, respond, text};
use crate::{ErrorForm, Fault, namespace};
use hyper::Method;
use serde_json::json;
use std::time::Duration;

/// Whether a fault/latency/count pattern names `method`: exactly, by its last
/// component (`IssueIdToken`, `AssumeRoleWithWebIdentity`), or `*`.
pub fn method_matches(pattern: &str, method: &str) -> bool {
    pattern == "*"
        || pattern == method
        || method
            .rsplit(['/', ':'])
            .next()
            .is_some_and(|last| last == pattern)
}

/// Parses the CODE part of `--fail METHOD:N:CODE`.
///
/// `drop` | `malformed` | `empty` | `http=503` | `503` (≥ 100: HTTP status) |
/// `14` (< 100: gRPC code, numeric JSON) | `grpc=14[/numeric|/string|/headers]` |
/// `unavailable` (a gRPC code name) | `sts=Throttling` | `cognito=TooManyRequestsException`.
pub fn parse_fault_spec(code: &str) -> Result<Fault, String> {
    let code = code.trim();
    let bad = || {
        format!(
            "bad fault {code:?}: use drop, malformed, empty, http=STATUS, grpc=CODE[/numeric|/string|/headers], \
             a gRPC code name, sts=ErrorCode or cognito=ExceptionType"
        )
    };
    match code {
        "drop" => return Ok(Fault::DropConnection),
        "malformed" => return Ok(Fault::MalformedBody),
        "empty" => return Ok(Fault::EmptyBody),
        _ => {}
    }
    if let Some(s) = code.strip_prefix("http=") {
        return s
            .parse::<u16>()
            .ok()
            .filter(|s| (100..600).contains(s))
            .map(Fault::Http)
            .ok_or_else(bad);
    }
    if let Some(v) = code.strip_prefix("sts=") {
        return if v.is_empty() {
            Err(bad())
        } else {
            Ok(Fault::Sts(v.to_string()))
        };
    }
    if let Some(v) = code.strip_prefix("cognito=") {
        return if v.is_empty() {
            Err(bad())
        } else {
            Ok(Fault::Cognito(v.to_string()))
        };
    }
    let (c, form) = match code.strip_prefix("grpc=").unwrap_or(code).split_once('/') {
        Some((c, f)) => (
            c,
            match f {
                "numeric" => ErrorForm::NumericJson,
                "string" => ErrorForm::StringJson,
                "headers" => ErrorForm::Headers,
                _ => return Err(bad()),
            },
        ),
        None => (
            code.strip_prefix("grpc=").unwrap_or(code),
            ErrorForm::NumericJson,
        ),
    };
    if let Ok(n) = c.parse::<i32>() {
        if (100..600).contains(&n) && !code.starts_with("grpc=") {
            return Ok(Fault::Http(n as u16));
        }
        if (0..=16).contains(&n) {
            return Ok(Fault::Grpc { code: n, form });
        }
        return Err(bad());
    }
    namespace::code_from_name(&c.to_ascii_lowercase())
        .map(|code| Fault::Grpc { code, form })
        .ok_or_else(bad)
}

/// Parses `METHOD:N:CODE` (METHOD may itself contain `:`, e.g. `sts:AssumeRoleWithWebIdentity`).
pub fn parse_fail_arg(arg: &str) -> Result<(String, u32, Fault), String> {
    let mut it = arg.rsplitn(3, ':');
    let (code, n, method) = match (it.next(), it.next(), it.next()) {
        (Some(c), Some(n), Some(m)) if !m.is_empty() => (c, n, m),
        _ => {
            return Err(format!(
                "bad --fail {arg:?}: expected METHOD:N:CODE, e.g. IssueIdToken:2:unavailable"
            ));
        }
    };
    let n = n
        .parse::<u32>()
        .map_err(|_| format!("bad --fail {arg:?}: N must be a whole number of calls"))?;
    Ok((method.to_string(), n, parse_fault_spec(code)?))
}

/// Parses `METHOD:MILLISECONDS`.
pub fn parse_latency_arg(arg: &str) -> Result<(String, Duration), String> {
    let (m, ms) = arg
        .rsplit_once(':')
        .ok_or_else(|| format!("bad --latency {arg:?}: expected METHOD:MILLISECONDS"))?;
    let ms = ms
        .trim_end_matches("ms")
        .parse::<u64>()
        .map_err(|_| format!("bad --latency {arg:?}: MILLISECONDS must be a whole number"))?;
    Ok((m.to_string(), Duration::from_millis(ms)))
}

/// The response (or dropped connection) for an injected fault.
pub fn render(fault: &Fault, kind: &Kind) -> Result<Resp, DropConnection> {
    let xml = *kind == Kind::Sts;
    Ok(match fault {
        Fault::DropConnection => return Err(DropConnection),
        Fault::Http(s) => text(*s, &format!("emulated failure: HTTP {s}")),
        Fault::Grpc { code, form } => namespace::error(
            *code,
            &format!("emulated fault: {}", namespace::code_name(*code)),
            *form,
        ),
        Fault::Sts(code) => crate::sts::error(code, &format!("emulated fault: {code}")),
        Fault::Cognito(t) => crate::cognito::error(t, &format!("emulated fault: {t}")),
        Fault::MalformedBody if xml => respond(
            200,
            "text/xml",
            "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA",
        ),
        Fault::MalformedBody if *kind == Kind::Cognito => respond(
            200,
            "application/x-amz-json-1.1",
            "{\"IdentityId\": \"us-east-1:",
        ),
        Fault::MalformedBody => respond(200, "application/json", "{\"tenant_token\": \"nsct_"),
        Fault::EmptyBody if xml => respond(200, "text/xml", ""),
        Fault::EmptyBody if *kind == Kind::Cognito => {
            respond(200, "application/x-amz-json-1.1", "")
        }
        Fault::EmptyBody => respond(200, "application/json", ""),
    })
}

/// `/_emulator/*`: faults, latency, requests, reset. Not counted.
pub fn admin(shared: &Shared, req: &Req) -> Resp {
    let body: serde_json::Value = if req.body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&req.body) {
            Ok(v) => v,
            Err(e) => return json(400, &json!({"error": format!("body is not JSON: {e}")})),
        }
    };
    match (&req.method, req.path.as_str()) {
        (&Method::POST, "/_emulator/faults") => {
            // Either {"spec":"METHOD:N:CODE"} or {"method":…, "count":N, "fault":"CODE"}.
            let parsed = if let Some(spec) = body.get("spec").and_then(|v| v.as_str()) {
                parse_fail_arg(spec)
            } else {
                match (
                    body.get("method").and_then(|v| v.as_str()),
                    body.get("fault").and_then(|v| v.as_str()),
                ) {
                    (Some(m), Some(f)) => {
                        let n = body.get("count").and_then(|v| v.as_u64()).unwrap_or(1) as u32;
                        parse_fault_spec(f).map(|f| (m.to_string(), n, f))
                    }
                    _ => Err(
                        "give {\"spec\":\"METHOD:N:CODE\"} or {\"method\",\"count\",\"fault\"}"
                            .to_string(),
                    ),
                }
            };
            match parsed {
                Ok((m, n, f)) => {
                    shared.lock().faults.push((m, n, f));
                    json(200, &json!({"ok": true}))
                }
                Err(e) => json(400, &json!({"error": e})),
            }
        }
        (&Method::POST, "/_emulator/latency") => {
            let m = body.get("method").and_then(|v| v.as_str());
            let ms = body.get("ms").and_then(|v| v.as_u64());
            match (m, ms) {
                (Some(m), Some(ms)) => {
                    let mut st = shared.lock();
                    if ms == 0 {
                        st.latency.remove(m);
                    } else {
                        st.latency.insert(m.to_string(), Duration::from_millis(ms));
                    }
                    json(200, &json!({"ok": true}))
                }
                _ => json(400, &json!({"error": "give {\"method\":\"…\",\"ms\":N}"})),
            }
        }
        (&Method::GET, "/_emulator/requests") => {
            let st = shared.lock();
            let list: Vec<_> = st
                .requests
                .iter()
                .map(|r| json!({"method": r.method, "headers": r.headers, "params": r.params}))
                .collect();
            json(200, &json!({"count": list.len(), "requests": list}))
        }
        (&Method::POST, "/_emulator/reset") => {
            shared.lock().reset();
            json(200, &json!({"ok": true}))
        }
        _ => json(
            404,
            &json!({"error": "admin endpoints: POST /_emulator/faults, POST /_emulator/latency, GET /_emulator/requests, POST /_emulator/reset"}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_specs() {
        assert_eq!(parse_fault_spec("drop"), Ok(Fault::DropConnection));
        assert_eq!(parse_fault_spec("503"), Ok(Fault::Http(503)));
        assert_eq!(parse_fault_spec("http=502"), Ok(Fault::Http(502)));
        assert_eq!(
            parse_fault_spec("14"),
            Ok(Fault::Grpc {
                code: 14,
                form: ErrorForm::NumericJson
            })
        );
        assert_eq!(
            parse_fault_spec("grpc=7/headers"),
            Ok(Fault::Grpc {
                code: 7,
                form: ErrorForm::Headers
            })
        );
        assert_eq!(
            parse_fault_spec("unavailable/string"),
            Ok(Fault::Grpc {
                code: 14,
                form: ErrorForm::StringJson
            })
        );
        assert_eq!(
            parse_fault_spec("sts=Throttling"),
            Ok(Fault::Sts("Throttling".into()))
        );
        assert!(parse_fault_spec("bogus").is_err());
        let (m, n, f) =
            parse_fail_arg("sts:AssumeRoleWithWebIdentity:2:sts=IDPCommunicationError").unwrap();
        assert_eq!((m.as_str(), n), ("sts:AssumeRoleWithWebIdentity", 2));
        assert_eq!(f, Fault::Sts("IDPCommunicationError".into()));
    }

    #[test]
    fn matching() {
        assert!(method_matches(
            "IssueIdToken",
            "nsl.tenants.TenantsService/IssueIdToken"
        ));
        assert!(method_matches(
            "AssumeRoleWithWebIdentity",
            "sts:AssumeRoleWithWebIdentity"
        ));
        assert!(method_matches("*", "github:token"));
        assert!(!method_matches(
            "GetTenant",
            "nsl.tenants.TenantsService/IssueIdToken"
        ));
    }
}
