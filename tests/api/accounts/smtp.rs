//! An SMTP receiver inside the test process: enough of RFC 5321 for
//! lettre over plain TCP on loopback (EHLO, MAIL, RCPT, DATA, RSET, NOOP,
//! QUIT). It keeps every message so a test can read it and pull a link out.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message as the relay received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope's sender (`MAIL FROM`).
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and MIME body), dot-unstuffed.
    pub data: Vec<u8>,
}

impl Received {
    /// The plain-text part, decoded.
    pub fn text(&self) -> String {
        let parsed = mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a MIME message");
        parsed.body_text(0).expect("a text part").into_owned()
    }

    /// The HTML part, decoded.
    pub fn html(&self) -> String {
        let parsed = mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a MIME message");
        parsed.body_html(0).expect("an HTML part").into_owned()
    }

    pub fn subject(&self) -> String {
        let parsed = mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a MIME message");
        parsed.subject().unwrap_or_default().to_string()
    }

    pub fn header_from(&self) -> String {
        let parsed = mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a MIME message");
        parsed
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string()
    }

    /// The first link in the text part whose path starts with `path`.
    pub fn link(&self, path: &str) -> String {
        self.text()
            .split_whitespace()
            .find(|w| w.starts_with("http") && w.contains(path))
            .unwrap_or_else(|| panic!("no {path} link in:\n{}", self.text()))
            .to_string()
    }
}

#[derive(Clone, Default)]
pub struct Mailbox(Arc<Mutex<Vec<Received>>>);

impl Mailbox {
    pub fn all(&self) -> Vec<Received> {
        self.0.lock().unwrap().clone()
    }

    /// Messages to `address` so far.
    pub fn to(&self, address: &str) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Waits (20 s at most) until `address` has received `count` messages;
    /// returns the last.
    pub async fn wait_for(&self, address: &str, count: usize) -> Received {
        for _ in 0..200 {
            let got = self.to(address);
            if got.len() >= count {
                return got[count - 1].clone();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no message #{count} for {address}; got {:?}", self.all());
    }
}

/// A running receiver; `url` is what `TESSERA_SMTP_URL` should say.
pub struct SmtpReceiver {
    pub port: u16,
    pub mailbox: Mailbox,
    /// Recipients refused so far (see [`SmtpReceiver::refusing`]).
    pub refused: Arc<Mutex<usize>>,
}

/// How the receiver answers `RCPT TO` for the first few recipients.
#[derive(Debug, Clone, Copy)]
pub enum Refusal {
    /// `451`: try again later.
    Transient(usize),
    /// `550`: never.
    Permanent(usize),
    None,
}

impl SmtpReceiver {
    pub async fn start() -> Self {
        Self::refusing(Refusal::None).await
    }

    /// A receiver that refuses the first recipients it is given.
    pub async fn refusing(refusal: Refusal) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let port = listener.local_addr().expect("address").port();
        let mailbox = Mailbox::default();
        let refused = Arc::new(Mutex::new(0));
        let (kept, count) = (mailbox.clone(), refused.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, kept.clone(), refusal, count.clone()));
            }
        });
        SmtpReceiver {
            port,
            mailbox,
            refused,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }
}

fn address_of(argument: &str) -> String {
    let start = argument.find('<').map_or(0, |i| i + 1);
    let end = argument.rfind('>').unwrap_or(argument.len());
    argument[start..end].to_string()
}

async fn serve(stream: TcpStream, mailbox: Mailbox, refusal: Refusal, refused: Arc<Mutex<usize>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let _ = write.write_all(b"220 test.localhost ESMTP ready\r\n").await;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-test.localhost\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" => b"250 test.localhost\r\n",
            "MAIL" => {
                from = address_of(&command);
                to.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                let mut count = refused.lock().unwrap();
                match refusal {
                    Refusal::Transient(n) if *count < n => {
                        *count += 1;
                        b"451 try again later\r\n"
                    }
                    Refusal::Permanent(n) if *count < n => {
                        *count += 1;
                        b"550 no such mailbox\r\n"
                    }
                    _ => {
                        to.push(address_of(&command));
                        b"250 OK\r\n"
                    }
                }
            }
            "DATA" => {
                if write.write_all(b"354 go ahead\r\n").await.is_err() {
                    return;
                }
                let mut data = Vec::new();
                loop {
                    line.clear();
                    match lines.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                    data.extend_from_slice(unstuffed.as_bytes());
                }
                mailbox.0.lock().unwrap().push(Received {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                });
                b"250 queued\r\n"
            }
            "RSET" => {
                to.clear();
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"502 not implemented\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
