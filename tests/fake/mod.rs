//! A loopback HTTP server that answers every request with one canned
//! response, for answers the emulator does not give (a 200 with an empty
//! `id_token`, STS credentials that already expired, a GitHub OIDC answer
//! without `value`). It counts requests and records their request lines.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A running fake; it lives until the test process ends.
pub struct Fake {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    /// Answers every request with `status`, `content_type` and `body`.
    pub fn start(status: u16, content_type: &'static str, body: String) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':')
                        && k.eq_ignore_ascii_case("content-length")
                    {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body_in = vec![0u8; length];
                let _ = reader.read_exact(&mut body_in);
                seen.lock().unwrap().push(request_line.trim().to_string());
                let reply = format!(
                    "HTTP/1.1 {status} Fake\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(reply.as_bytes());
            }
        });
        Fake { url, requests }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Requests answered so far (request lines, e.g. `POST /x HTTP/1.1`).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// An STS AssumeRoleWithWebIdentity answer with these credentials and expiry.
pub fn sts_answer(key_id: &str, secret: &str, token: &str, expiration: &str) -> String {
    format!(
        r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>{key_id}</AccessKeyId>
      <SecretAccessKey>{secret}</SecretAccessKey>
      <SessionToken>{token}</SessionToken>
      <Expiration>{expiration}</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/ns-federate-test/fake</Arn>
      <AssumedRoleId>AROAFAKE:fake</AssumedRoleId>
    </AssumedRoleUser>
    <SubjectFromWebIdentityToken>tnt_emulator01/tenant</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>fake-1</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"#
    )
}
