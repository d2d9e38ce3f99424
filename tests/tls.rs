//! TLS and mTLS: ferrodis's TLS listener driven by real clients (redis-cli --tls, redis-py
//! with ssl=True, a rustls client) and compared with a real redis-server started with TLS.
//! Certificates come from scripts/gen-test-certs.sh (openssl).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{encode, free_port, reply_end, Server};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

/// A fresh directory of test certificates (client CN `cn`).
fn certs(tag: &str, cn: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ferrodis-tls-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    ));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gen-test-certs.sh");
    let out = Command::new("sh")
        .arg(script)
        .arg(&dir)
        .arg(cn)
        .output()
        .expect("run gen-test-certs.sh (is openssl installed? `make deps`)");
    assert!(
        out.status.success(),
        "gen-test-certs.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn file(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

/// The server-side TLS arguments (`--name value` pairs) for certificates in `dir`.
fn tls_args(dir: &Path, auth_clients: &str) -> Vec<String> {
    vec![
        "--tls-cert-file".into(),
        file(dir, "server.crt"),
        "--tls-key-file".into(),
        file(dir, "server.key"),
        "--tls-ca-cert-file".into(),
        file(dir, "ca.crt"),
        "--tls-auth-clients".into(),
        auth_clients.into(),
    ]
}

fn ferrodis_tls(args: &[String]) -> Server {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::ferrodis_tls(&a)
}

/// A real redis-server with TLS on a free port; returns it and its TLS port.
fn redis_tls(args: &[String]) -> (Server, u16) {
    let tls_port = free_port();
    let mut a: Vec<String> = vec!["--tls-port".into(), tls_port.to_string()];
    a.extend_from_slice(args);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    (Server::redis_with(&a), tls_port)
}

/// `redis-cli --tls` against `port`, trusting `ca`, with client certificate stem `cert`
/// (`client`, `expired`, `untrusted`) when given.
fn cli(port: u16, dir: &Path, cert: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new("redis-cli");
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string(), "--tls"])
        .args(["--cacert", &file(dir, "ca.crt")]);
    if let Some(stem) = cert {
        cmd.args(["--cert", &file(dir, &format!("{stem}.crt"))])
            .args(["--key", &file(dir, &format!("{stem}.key"))]);
    }
    cmd.args(args).output().expect("run redis-cli")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Whether `redis-cli PING` got its PONG.
fn pong(o: &Output) -> bool {
    stdout(o) == "PONG"
}

/// A blocking rustls client.
struct TlsClient {
    stream: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
    buf: Vec<u8>,
}

fn client_config(dir: &Path, cert: Option<&str>) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(dir.join("ca.crt")).expect("ca.crt") {
        roots.add(c.expect("ca cert")).expect("add root");
    }
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    let config = match cert {
        Some(stem) => {
            let chain: Vec<CertificateDer<'static>> =
                CertificateDer::pem_file_iter(dir.join(format!("{stem}.crt")))
                    .expect("client cert")
                    .map(|c| c.expect("cert"))
                    .collect();
            let key = PrivateKeyDer::from_pem_file(dir.join(format!("{stem}.key"))).expect("key");
            builder
                .with_client_auth_cert(chain, key)
                .expect("client auth")
        }
        None => builder.with_no_client_auth(),
    };
    Arc::new(config)
}

impl TlsClient {
    fn try_connect(port: u16, dir: &Path, cert: Option<&str>) -> std::io::Result<TlsClient> {
        let sock = TcpStream::connect(("127.0.0.1", port))?;
        sock.set_read_timeout(Some(Duration::from_secs(20)))?;
        sock.set_nodelay(true)?;
        let conn = rustls::ClientConnection::new(
            client_config(dir, cert),
            ServerName::try_from("localhost").expect("name"),
        )
        .map_err(std::io::Error::other)?;
        let mut client = TlsClient {
            stream: rustls::StreamOwned::new(conn, sock),
            buf: Vec::new(),
        };
        // Finish the handshake (and, with TLS 1.3, learn of a refused client certificate)
        // with a round trip.
        let reply = client.try_cmd(&["PING"])?;
        if reply != b"+PONG\r\n" && !reply.starts_with(b"-NOAUTH") {
            return Err(std::io::Error::other(format!("PING answered {reply:?}")));
        }
        Ok(client)
    }

    fn connect(port: u16, dir: &Path, cert: Option<&str>) -> TlsClient {
        TlsClient::try_connect(port, dir, cert).expect("TLS connect")
    }

    fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
        self.stream.flush().expect("flush");
    }

    fn try_read_reply(&mut self) -> std::io::Result<Vec<u8>> {
        loop {
            if let Ok(Some(end)) = reply_end(&self.buf, 0) {
                return Ok(self.buf.drain(..end).collect());
            }
            let mut chunk = vec![0u8; 256 * 1024];
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn try_cmd(&mut self, args: &[&str]) -> std::io::Result<Vec<u8>> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.stream.write_all(&encode(&a))?;
        self.stream.flush()?;
        self.try_read_reply()
    }

    fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        self.try_cmd(args).expect("TLS command")
    }
}

#[test]
fn tls_auth_clients_values_match_redis_for_redis_cli() {
    if !common::have_program("redis-cli") {
        return;
    }
    let dir = certs("auth", "default");
    for auth in ["yes", "optional", "no"] {
        let args = tls_args(&dir, auth);
        let ferrodis = ferrodis_tls(&args);
        let (_redis, redis_port) = redis_tls(&args);
        for cert in [Some("client"), None] {
            let ours = cli(ferrodis.port, &dir, cert, &["PING"]);
            let theirs = cli(redis_port, &dir, cert, &["PING"]);
            assert_eq!(
                pong(&ours),
                pong(&theirs),
                "tls-auth-clients {auth}, client cert {cert:?}: ferrodis {ours:?}, redis {theirs:?}"
            );
            // With a certificate every mode serves; without one only `yes` refuses.
            assert_eq!(
                pong(&ours),
                cert.is_some() || auth != "yes",
                "{auth} {cert:?}"
            );
        }
    }
}

#[test]
fn untrusted_and_expired_client_certificates_are_refused_like_redis() {
    let dir = certs("refused", "default");
    for auth in ["yes", "optional"] {
        let args = tls_args(&dir, auth);
        let ferrodis = ferrodis_tls(&args);
        let (_redis, redis_port) = redis_tls(&args);
        for cert in ["untrusted", "expired"] {
            let ours = cli(ferrodis.port, &dir, Some(cert), &["PING"]);
            let theirs = cli(redis_port, &dir, Some(cert), &["PING"]);
            assert!(!pong(&theirs), "redis accepted {cert}: {theirs:?}");
            assert!(!pong(&ours), "ferrodis accepted {cert} ({auth}): {ours:?}");
            // What redis-cli prints is an error in both cases (the exact text depends on
            // whether the close or the PING reaches the other side first).
            assert!(
                stdout(&ours).starts_with("Error:")
                    || String::from_utf8_lossy(&ours.stderr).contains("Error"),
                "{ours:?}"
            );
            assert!(TlsClient::try_connect(ferrodis.port, &dir, Some(cert)).is_err());
        }
        // The server is unharmed.
        assert!(pong(&cli(ferrodis.port, &dir, Some("client"), &["PING"])));
    }
}

#[test]
fn config_get_tls_defaults_match_redis() {
    let mut ferrodis = Server::ferrodis(&[]);
    let mut redis = Server::redis();
    let pairs = |s: &mut Server| {
        let reply = s.raw().cmd(&["CONFIG", "GET", "tls-*"]);
        let text = String::from_utf8_lossy(&reply).into_owned();
        let lines: Vec<&str> = text.split("\r\n").collect();
        // *N, then $len/value pairs: keep the values.
        let values: Vec<String> = lines
            .iter()
            .skip(1)
            .skip(1)
            .step_by(2)
            .map(|v| v.to_string())
            .collect();
        let mut kv: Vec<(String, String)> = values
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (c[0].clone(), c[1].clone()))
            .filter(|(k, _)| k != "tls-auth-clients-user")
            .collect();
        kv.sort();
        kv
    };
    let ours = pairs(&mut ferrodis);
    let theirs = pairs(&mut redis);
    assert_eq!(ours, theirs);
    assert_eq!(ours.len(), 20);
    // The ferrodis-only setting.
    assert_eq!(
        ferrodis
            .raw()
            .cmd(&["CONFIG", "GET", "tls-auth-clients-user"]),
        b"*2\r\n$21\r\ntls-auth-clients-user\r\n$3\r\noff\r\n"
    );
}

#[test]
fn a_plain_text_client_on_the_tls_port_is_closed() {
    let dir = certs("plain", "default");
    let server = ferrodis_tls(&tls_args(&dir, "no"));
    let mut plain = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    plain
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    plain.write_all(b"PING\r\n").expect("write");
    let started = Instant::now();
    let mut got = Vec::new();
    // EOF (after at most a TLS alert) or a reset, promptly; never a RESP reply.
    let _ = plain.read_to_end(&mut got);
    assert!(started.elapsed() < Duration::from_secs(4), "not closed");
    assert!(!got.starts_with(b"+PONG"), "{got:?}");
    assert!(got.is_empty() || got[0] == 0x15, "not a TLS alert: {got:?}");
    // The server goes on serving.
    let mut tls = TlsClient::connect(server.port, &dir, None);
    assert_eq!(tls.cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn large_reply_and_pipelining_over_tls() {
    let dir = certs("large", "default");
    let server = ferrodis_tls(&tls_args(&dir, "yes"));
    let mut c = TlsClient::connect(server.port, &dir, Some("client"));
    let big: Vec<u8> = (0..50_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    c.write(&encode(&[b"SET", b"big", &big]));
    assert_eq!(c.try_read_reply().expect("SET"), b"+OK\r\n");
    let reply = c.cmd(&["GET", "big"]);
    let header = b"$50000000\r\n";
    assert_eq!(&reply[..header.len()], header);
    assert_eq!(&reply[header.len()..reply.len() - 2], &big[..]);
    // 5,000 pipelined commands in one write, answered in order.
    let mut batch = Vec::new();
    for _ in 0..5000 {
        batch.extend(encode(&[b"INCR", b"n"]));
    }
    c.write(&batch);
    for i in 1..=5000 {
        assert_eq!(
            c.try_read_reply().expect("INCR"),
            format!(":{i}\r\n").as_bytes()
        );
    }
    assert_eq!(c.cmd(&["STRLEN", "big"]), b":50000000\r\n");
}

#[test]
fn redis_py_over_tls() {
    let dir = certs("py", "default");
    let server = ferrodis_tls(&tls_args(&dir, "yes"));
    let script = format!(
        r#"
import redis
r = redis.Redis(host="localhost", port={port}, ssl=True, ssl_ca_certs="{ca}",
                ssl_certfile="{cert}", ssl_keyfile="{key}")
r.set("k", "v" * 100000)
assert r.get("k") == b"v" * 100000
p = r.pipeline(transaction=False)
for i in range(1000):
    p.incr("c")
assert p.execute()[-1] == 1000
print("ok", r.ping())
"#,
        port = server.port,
        ca = file(&dir, "ca.crt"),
        cert = file(&dir, "client.crt"),
        key = file(&dir, "client.key"),
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3");
    assert!(
        out.status.success() && stdout(&out) == "ok True",
        "{out:?}\n{}",
        server.output()
    );
}

#[test]
fn config_set_reloads_certificates_and_keeps_live_connections() {
    let one = certs("reload1", "default");
    let two = certs("reload2", "default");
    let server = ferrodis_tls(&tls_args(&one, "no"));
    let mut live = TlsClient::connect(server.port, &one, None);
    assert_eq!(live.cmd(&["SET", "k", "v"]), b"+OK\r\n");
    let reply = live.cmd(&[
        "CONFIG",
        "SET",
        "tls-cert-file",
        &file(&two, "server.crt"),
        "tls-key-file",
        &file(&two, "server.key"),
    ]);
    assert_eq!(reply, b"+OK\r\n");
    // New connections get the new certificate (signed by the second CA) ...
    assert!(TlsClient::try_connect(server.port, &one, None).is_err());
    let mut fresh = TlsClient::connect(server.port, &two, None);
    assert_eq!(fresh.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    // ... the live one keeps its session.
    assert_eq!(live.cmd(&["GET", "k"]), b"$1\r\nv\r\n");

    // A bad certificate is refused with Redis's error, and the previous one stays.
    let (_redis, redis_port) = redis_tls(&tls_args(&one, "no"));
    let mut redis_client = TlsClient::connect(redis_port, &one, None);
    for c in [&mut live, &mut redis_client] {
        let reply = c.cmd(&["CONFIG", "SET", "tls-cert-file", "/nonexistent/cert.pem"]);
        assert_eq!(
            String::from_utf8_lossy(&reply),
            "-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable \
             to update TLS configuration. Check server logs.\r\n"
        );
        let reply = c.cmd(&["CONFIG", "GET", "tls-cert-file"]);
        assert!(!String::from_utf8_lossy(&reply).contains("nonexistent"));
    }
    assert!(TlsClient::try_connect(server.port, &two, None).is_ok());
    assert_eq!(live.cmd(&["PING"]), b"+PONG\r\n");
    // Unknown cipher names are refused the same way.
    let reply = live.cmd(&["CONFIG", "SET", "tls-ciphers", "HIGH:!aNULL"]);
    assert!(reply.starts_with(b"-ERR CONFIG SET failed (possibly related to argument 'tls-ciphers') - Unable to update TLS configuration."));
    assert!(server
        .output()
        .contains("unsupported TLSv1.2 cipher 'HIGH'"));
}

#[test]
fn sighup_reloads_certificates_and_keeps_live_connections() {
    let one = certs("hup1", "default");
    let two = certs("hup2", "default");
    let live_dir = certs("hup-live", "default");
    let copy = |from: &Path| {
        for name in ["server.crt", "server.key"] {
            std::fs::copy(from.join(name), live_dir.join(name)).expect("copy");
        }
    };
    copy(&one);
    let mut args = tls_args(&live_dir, "no");
    args[5] = file(&one, "ca.crt");
    let server = ferrodis_tls(&args);
    let mut live = TlsClient::connect(server.port, &one, None);
    copy(&two);
    let hup = |s: &Server| {
        // SAFETY: kill(2) on our own child.
        unsafe {
            libc::kill(s.pid() as libc::pid_t, libc::SIGHUP);
        }
    };
    hup(&server);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.output().contains("TLS certificates reloaded") {
        assert!(Instant::now() < deadline, "no reload: {}", server.output());
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut fresh = TlsClient::connect(server.port, &two, None);
    assert_eq!(fresh.cmd(&["PING"]), b"+PONG\r\n");
    assert!(TlsClient::try_connect(server.port, &one, None).is_err());
    assert_eq!(live.cmd(&["PING"]), b"+PONG\r\n");
    // A broken certificate file: refused, the loaded configuration stays.
    std::fs::write(live_dir.join("server.crt"), b"not a certificate").expect("write");
    hup(&server);
    while !server.output().contains("TLS configuration not reloaded") {
        assert!(Instant::now() < deadline, "no refusal: {}", server.output());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(TlsClient::try_connect(server.port, &two, None).is_ok());
    assert_eq!(live.cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn a_stalled_handshake_is_closed_by_client_request_timeout() {
    let dir = certs("stall", "default");
    let mut args = tls_args(&dir, "no");
    args.extend(["--client-request-timeout".to_string(), "1".to_string()]);
    let server = ferrodis_tls(&args);
    let connected = Instant::now();
    // Half a ClientHello: a handshake record header announcing more than is sent.
    let mut half = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    half.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc])
        .expect("write");
    // And one that never starts.
    let mut silent = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    for s in [&mut half, &mut silent] {
        s.set_read_timeout(Some(Duration::from_secs(6)))
            .expect("timeout");
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        let waited = connected.elapsed();
        assert!(
            waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
            "closed after {waited:?}"
        );
    }
    assert!(server.output().contains("client-request-timeout"));
    // A real client is served meanwhile and afterwards.
    let mut c = TlsClient::connect(server.port, &dir, None);
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn client_certificate_cn_logs_in_as_that_user() {
    let dir = certs("cn", "default");
    let other = certs("cn-other", "alice");
    let mut args = tls_args(&dir, "optional");
    args.extend(["--requirepass".into(), "sekret".into()]);
    let plain = ferrodis_tls(&args);
    // Without the mapping a certificate proves nothing about the user.
    assert!(stdout(&cli(plain.port, &dir, Some("client"), &["PING"])).starts_with("NOAUTH"));
    args.extend(["--tls-auth-clients-user".into(), "CN".into()]);
    let server = ferrodis_tls(&args);
    assert!(pong(&cli(server.port, &dir, Some("client"), &["PING"])));
    // No certificate, or a CN naming no user: authenticate as usual.
    assert!(stdout(&cli(server.port, &dir, None, &["PING"])).starts_with("NOAUTH"));
    let mut args_alice = tls_args(&other, "optional");
    args_alice.extend([
        "--requirepass".into(),
        "sekret".into(),
        "--tls-auth-clients-user".into(),
        "CN".into(),
    ]);
    let server = ferrodis_tls(&args_alice);
    assert!(stdout(&cli(server.port, &other, Some("client"), &["PING"])).starts_with("NOAUTH"));
    assert!(pong(&cli(
        server.port,
        &other,
        Some("client"),
        &["-a", "sekret", "--no-auth-warning", "PING"]
    )));
}

#[test]
fn start_up_refuses_bad_tls_settings() {
    let dir = certs("bad", "default");
    let encrypted = file(&dir, "encrypted.key");
    let status = Command::new("openssl")
        .args(["pkey", "-in", &file(&dir, "server.key"), "-aes256"])
        .args(["-passout", "pass:secret", "-out", &encrypted])
        .status()
        .expect("openssl");
    assert!(status.success());
    // `extra` replaces the value of a setting tls_args() gives, or adds one.
    let start = |extra: &[&str]| {
        let mut args: Vec<String> = vec!["--tls-port".into(), free_port().to_string()];
        args.extend(tls_args(&dir, "no"));
        for pair in extra.chunks(2) {
            match args.iter().position(|a| a == pair[0]) {
                Some(i) => args[i + 1] = pair[1].to_string(),
                None => args.extend(pair.iter().map(|s| s.to_string())),
            }
        }
        Command::new(env!("CARGO_BIN_EXE_ferrodis"))
            .args(&args)
            .current_dir(&dir)
            .output()
            .expect("run ferrodis")
    };
    let out = start(&[
        "--tls-key-file",
        &encrypted,
        "--tls-key-file-pass",
        "secret",
    ]);
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains("the key is encrypted"), "{text}");
    let out = start(&["--tls-ciphersuites", "TLS_AES_128_CCM_8_SHA256"]);
    assert!(!out.status.success());
    let out = start(&["--tls-protocols", "TLSv1.1"]);
    assert!(!out.status.success());
    let out = start(&["--tls-auth-clients", "yes", "--tls-ca-cert-file", ""]);
    assert!(!out.status.success());
}

#[test]
fn tls_only_server_has_no_plain_listener_and_restricted_protocols_work() {
    let dir = certs("only", "default");
    let mut args = tls_args(&dir, "no");
    args.extend([
        "--tls-protocols".into(),
        "TLSv1.2".into(),
        "--tls-ciphers".into(),
        "ECDHE-RSA-AES128-GCM-SHA256".into(),
    ]);
    let server = ferrodis_tls(&args);
    assert!(!server.output().contains("Ready to accept connections tcp"));
    let out = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{}", server.port),
        ])
        .args(["-CAfile", &file(&dir, "ca.crt"), "-tls1_3"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl s_client");
    assert!(!out.status.success(), "TLSv1.3 accepted");
    let out = cli(server.port, &dir, None, &["PING"]);
    assert!(pong(&out), "{out:?}");
    let out = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{}", server.port),
        ])
        .args(["-CAfile", &file(&dir, "ca.crt"), "-tls1_2"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl s_client");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ECDHE-RSA-AES128-GCM-SHA256"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
