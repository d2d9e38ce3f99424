//! TLS settings turned into a rustls `ServerConfig`.
//!
//! The reactor (`server/conn.rs`) drives one non-blocking `rustls::ServerConnection` per TLS
//! client; this module only builds what those connections share: the certificate and key,
//! the client certificate verifier (`tls-auth-clients`), protocol versions, cipher suites and
//! the session cache. A new `ServerConfig` is built at start-up, on CONFIG SET of a `tls-*`
//! setting and on SIGHUP; connections already open keep the one they started with.
//!
//! The `ring` crypto provider is used (aws-lc-rs would need cmake and clang to build).

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::crypto::ring as provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{StoresServerSessions, WebPkiClientVerifier};
use rustls::{RootCertStore, ServerConfig, SupportedCipherSuite};

use crate::config::{Config, TlsAuthClients};

/// Bytes of output rustls may hold beyond the reply buffer (plaintext waiting for the
/// handshake, encrypted records waiting for the socket). Small enough that the reply
/// buffer's size stays what `client-output-buffer-limit` and back-pressure judge, large
/// enough for a few full records per `writev`.
pub const TLS_BUFFER_LIMIT: usize = 64 * 1024;

/// TLS 1.3 suites by their IANA names (`tls-ciphersuites`, OpenSSL uses the same names).
const TLS13_SUITES: &[(&str, SupportedCipherSuite)] = &[
    (
        "TLS_AES_256_GCM_SHA384",
        provider::cipher_suite::TLS13_AES_256_GCM_SHA384,
    ),
    (
        "TLS_AES_128_GCM_SHA256",
        provider::cipher_suite::TLS13_AES_128_GCM_SHA256,
    ),
    (
        "TLS_CHACHA20_POLY1305_SHA256",
        provider::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
    ),
];

/// TLS 1.2 suites by their OpenSSL names (`tls-ciphers`) and IANA names.
const TLS12_SUITES: &[(&str, &str, SupportedCipherSuite)] = &[
    (
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        provider::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ),
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        provider::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        provider::cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
    (
        "ECDHE-RSA-AES256-GCM-SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        provider::cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ),
    (
        "ECDHE-RSA-AES128-GCM-SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        provider::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        "ECDHE-RSA-CHACHA20-POLY1305",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        provider::cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
];

/// Splits an OpenSSL-style list (`:`, `,` or spaces between names).
fn names(list: &str) -> impl Iterator<Item = &str> {
    list.split([':', ',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `tls-ciphersuites`: the TLS 1.3 suites named, in order; all of them when empty.
fn tls13_suites(list: &str) -> Result<Vec<SupportedCipherSuite>, String> {
    if list.trim().is_empty() {
        return Ok(TLS13_SUITES.iter().map(|(_, s)| *s).collect());
    }
    names(list)
        .map(|name| {
            TLS13_SUITES
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, s)| *s)
                .ok_or_else(|| {
                    format!(
                        "tls-ciphersuites: unsupported TLSv1.3 cipher suite '{name}' (supported: {})",
                        TLS13_SUITES
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(":")
                    )
                })
        })
        .collect()
}

/// `tls-ciphers`: the TLS 1.2 suites named, in order; all of them when empty.
fn tls12_suites(list: &str) -> Result<Vec<SupportedCipherSuite>, String> {
    if list.trim().is_empty() {
        return Ok(TLS12_SUITES.iter().map(|(_, _, s)| *s).collect());
    }
    names(list)
        .map(|name| {
            TLS12_SUITES
                .iter()
                .find(|(o, i, _)| o.eq_ignore_ascii_case(name) || i.eq_ignore_ascii_case(name))
                .map(|(_, _, s)| *s)
                .ok_or_else(|| {
                    format!(
                        "tls-ciphers: unsupported TLSv1.2 cipher '{name}' (supported: {})",
                        TLS12_SUITES
                            .iter()
                            .map(|(n, _, _)| *n)
                            .collect::<Vec<_>>()
                            .join(":")
                    )
                })
        })
        .collect()
}

/// `tls-protocols`: which of TLS 1.2 and 1.3 are on (both when empty).
fn protocols(list: &str) -> Result<(bool, bool), String> {
    if list.trim().is_empty() {
        return Ok((true, true));
    }
    let (mut v12, mut v13) = (false, false);
    for name in list.split_ascii_whitespace() {
        if name.eq_ignore_ascii_case("TLSv1.2") {
            v12 = true;
        } else if name.eq_ignore_ascii_case("TLSv1.3") {
            v13 = true;
        } else if name.eq_ignore_ascii_case("TLSv1") || name.eq_ignore_ascii_case("TLSv1.1") {
            return Err(format!(
                "tls-protocols: {name} is not supported (rustls speaks TLSv1.2 and TLSv1.3)"
            ));
        } else {
            return Err(format!("tls-protocols: invalid protocol '{name}'"));
        }
    }
    Ok((v12, v13))
}

/// Every certificate in the PEM file at `path`.
fn load_certs(setting: &str, path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{setting} '{path}': {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{setting} '{path}': {e}"))?;
    if certs.is_empty() {
        return Err(format!("{setting} '{path}': no certificate found"));
    }
    Ok(certs)
}

/// The private key at `path`. rustls cannot decrypt an encrypted PEM key: such a key is
/// refused with a message saying how to decrypt it.
fn load_key(cfg: &Config) -> Result<PrivateKeyDer<'static>, String> {
    let path = &cfg.tls_key_file;
    let text = std::fs::read(path).map_err(|e| format!("tls-key-file '{path}': {e}"))?;
    let encrypted = contains(&text, b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || contains(&text, b"Proc-Type: 4,ENCRYPTED");
    if encrypted {
        return Err(format!(
            "tls-key-file '{path}': the key is encrypted, which ferrodis cannot read (rustls \
             has no PEM decryption{}); store it decrypted, e.g. `openssl pkey -in {path} -out \
             key.pem`, readable only by the server's user",
            if cfg.tls_key_file_pass.is_empty() {
                ""
            } else {
                ", so tls-key-file-pass cannot be used"
            }
        ));
    }
    PrivateKeyDer::from_pem_slice(&text).map_err(|e| format!("tls-key-file '{path}': {e}"))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The CA certificates of `tls-ca-cert-file` and every PEM file in `tls-ca-cert-dir`
/// (files that hold no certificate are skipped, so OpenSSL's hashed links and CRLs may sit
/// beside them).
fn load_roots(cfg: &Config) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    if !cfg.tls_ca_cert_file.is_empty() {
        for cert in load_certs("tls-ca-cert-file", &cfg.tls_ca_cert_file)? {
            roots
                .add(cert)
                .map_err(|e| format!("tls-ca-cert-file '{}': {e}", cfg.tls_ca_cert_file))?;
        }
    }
    if !cfg.tls_ca_cert_dir.is_empty() {
        let dir = &cfg.tls_ca_cert_dir;
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("tls-ca-cert-dir '{dir}': {e}"))?;
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        for path in paths {
            let Ok(iter) = CertificateDer::pem_file_iter(&path) else {
                continue;
            };
            for cert in iter.flatten() {
                roots
                    .add(cert)
                    .map_err(|e| format!("tls-ca-cert-dir '{}': {e}", path.display()))?;
            }
        }
    }
    Ok(roots)
}

/// Builds the `ServerConfig` the TLS settings describe. The error says which setting and
/// which file is at fault.
pub fn build(cfg: &Config) -> Result<Arc<ServerConfig>, String> {
    if cfg.tls_cert_file.is_empty() {
        return Err("tls-cert-file is not set".to_string());
    }
    if cfg.tls_key_file.is_empty() {
        return Err("tls-key-file is not set".to_string());
    }
    let certs = load_certs("tls-cert-file", &cfg.tls_cert_file)?;
    let key = load_key(cfg)?;
    let (v12, v13) = protocols(&cfg.tls_protocols)?;
    let mut versions: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
    let mut suites = Vec::new();
    if v13 {
        versions.push(&rustls::version::TLS13);
        suites.extend(tls13_suites(&cfg.tls_ciphersuites)?);
    }
    if v12 {
        versions.push(&rustls::version::TLS12);
        suites.extend(tls12_suites(&cfg.tls_ciphers)?);
    }
    // Deprecated in rustls 0.23.48 only because ring lacks post-quantum key exchange; the
    // aws-lc-rs provider that has it needs cmake and clang to build.
    #[allow(deprecated)]
    let base = provider::default_provider();
    let provider = Arc::new(rustls::crypto::CryptoProvider {
        cipher_suites: suites,
        ..base
    });
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&versions)
        .map_err(|e| format!("tls-protocols/tls-ciphers: {e}"))?;
    let builder = if cfg.tls_auth_clients == TlsAuthClients::No {
        builder.with_no_client_auth()
    } else {
        if cfg.tls_ca_cert_file.is_empty() && cfg.tls_ca_cert_dir.is_empty() {
            return Err(
                "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when \
                 tls-auth-clients is yes or optional"
                    .to_string(),
            );
        }
        let roots = load_roots(cfg)?;
        if roots.is_empty() {
            return Err("tls-ca-cert-file/tls-ca-cert-dir: no CA certificate found".to_string());
        }
        let mut verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider));
        if cfg.tls_auth_clients == TlsAuthClients::Optional {
            verifier = verifier.allow_unauthenticated();
        }
        let verifier = verifier
            .build()
            .map_err(|e| format!("tls-ca-cert-file/tls-ca-cert-dir: {e}"))?;
        builder.with_client_cert_verifier(verifier)
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| format!("tls-cert-file/tls-key-file: {e}"))?;
    config.ignore_client_order = cfg.tls_prefer_server_ciphers;
    if cfg.tls_session_caching {
        config.session_storage = Arc::new(SessionCache::new(
            cfg.tls_session_cache_size,
            Duration::from_secs(cfg.tls_session_cache_timeout),
        ));
    } else {
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
    }
    Ok(Arc::new(config))
}

/// The server-side session cache: at most `size` sessions (0: no limit, as OpenSSL's
/// `SSL_CTX_sess_set_cache_size(0)`), each resumable for `timeout` after it was stored
/// (`tls-session-cache-timeout`). The oldest session goes first when the cache is full.
#[derive(Debug)]
struct SessionCache {
    size: usize,
    timeout: Duration,
    inner: Mutex<SessionMap>,
}

#[derive(Debug, Default)]
struct SessionMap {
    map: hashbrown::HashMap<Vec<u8>, (Instant, Vec<u8>)>,
    /// Keys in insertion order (may name keys already taken or replaced).
    order: VecDeque<(Instant, Vec<u8>)>,
}

impl SessionCache {
    fn new(size: u64, timeout: Duration) -> SessionCache {
        SessionCache {
            size: usize::try_from(size).unwrap_or(usize::MAX),
            timeout,
            inner: Mutex::new(SessionMap::default()),
        }
    }

    fn live(&self, stored: Instant) -> bool {
        stored.elapsed() < self.timeout
    }
}

impl SessionMap {
    /// Drops expired sessions from the front, and the oldest while above `size`.
    fn trim(&mut self, size: usize, timeout: Duration) {
        while let Some((stored, key)) = self.order.front() {
            let current = self.map.get(key).is_some_and(|(at, _)| at == stored);
            let over = size != 0 && self.map.len() > size;
            if current && !over && stored.elapsed() < timeout {
                break;
            }
            if current && (over || stored.elapsed() >= timeout) {
                self.map.remove(key);
            }
            self.order.pop_front();
        }
    }
}

impl StoresServerSessions for SessionCache {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        let Ok(mut inner) = self.inner.lock() else {
            return false;
        };
        let now = Instant::now();
        inner.order.push_back((now, key.clone()));
        inner.map.insert(key, (now, value));
        inner.trim(self.size, self.timeout);
        true
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let inner = self.inner.lock().ok()?;
        let (stored, value) = inner.map.get(key)?;
        self.live(*stored).then(|| value.clone())
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        let mut inner = self.inner.lock().ok()?;
        let (stored, value) = inner.map.remove(key)?;
        self.live(stored).then_some(value)
    }

    fn can_cache(&self) -> bool {
        true
    }
}

/// The subject common name of a DER certificate (the first CN attribute), if it is a
/// string. A small DER walk: Certificate → tbsCertificate → subject (the sixth element,
/// or fifth without the optional `[0]` version).
pub fn subject_common_name(cert: &[u8]) -> Option<Vec<u8>> {
    let (tag, cert_body, _) = der_tlv(cert)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, mut tbs, _) = der_tlv(cert_body)?;
    if tag != 0x30 {
        return None;
    }
    // [0] version (optional), serialNumber, signature, issuer, validity, subject.
    let (tag, _, rest) = der_tlv(tbs)?;
    if tag == 0xa0 {
        tbs = rest;
    }
    for _ in 0..4 {
        let (_, _, rest) = der_tlv(tbs)?;
        tbs = rest;
    }
    let (tag, mut rdns, _) = der_tlv(tbs)?;
    if tag != 0x30 {
        return None;
    }
    // Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue).
    const CN_OID: &[u8] = &[0x55, 0x04, 0x03];
    while !rdns.is_empty() {
        let (_, mut set, rest) = der_tlv(rdns)?;
        rdns = rest;
        while !set.is_empty() {
            let (_, atv, rest) = der_tlv(set)?;
            set = rest;
            let (tag, oid, value) = der_tlv(atv)?;
            if tag == 0x06 && oid == CN_OID {
                let (tag, text, _) = der_tlv(value)?;
                // UTF8String, PrintableString, IA5String, T61String.
                return matches!(tag, 0x0c | 0x13 | 0x16 | 0x14).then(|| text.to_vec());
            }
        }
    }
    None
}

/// One DER element: (tag, contents, what follows). Only single-byte tags and definite
/// lengths, which is all DER allows for the structures read here.
fn der_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// Whether `path` can be read (used for the settings rustls does not use, so a typo in
/// them is still noticed).
pub fn readable(path: &str) -> bool {
    path.is_empty() || Path::new(path).is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cipher_names_map_to_rustls_suites() {
        assert_eq!(tls13_suites("").unwrap().len(), 3);
        assert_eq!(
            tls13_suites("TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256")
                .unwrap()
                .len(),
            2
        );
        assert!(tls13_suites("TLS_AES_128_CCM_SHA256").is_err());
        assert_eq!(
            tls12_suites("ECDHE-RSA-AES128-GCM-SHA256:TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
                .unwrap()
                .len(),
            2
        );
        assert!(tls12_suites("HIGH:!aNULL").is_err());
        assert!(tls12_suites("AES128-SHA").is_err());
    }

    #[test]
    fn protocol_lists() {
        assert_eq!(protocols("").unwrap(), (true, true));
        assert_eq!(protocols("TLSv1.2").unwrap(), (true, false));
        assert_eq!(protocols("tlsv1.3 TLSv1.2").unwrap(), (true, true));
        assert!(protocols("TLSv1.1").is_err());
        assert!(protocols("SSLv3").is_err());
    }

    #[test]
    fn der_walk_refuses_garbage_and_truncation() {
        assert_eq!(subject_common_name(&[]), None);
        assert_eq!(subject_common_name(&[0x30, 0x85, 1, 2, 3, 4, 5]), None);
        assert_eq!(subject_common_name(&[0x30, 0x10, 0x30]), None);
        assert_eq!(
            der_tlv(&[0x04, 0x02, b'a', b'b', 9]),
            Some((4, &b"ab"[..], &[9u8][..]))
        );
    }

    #[test]
    fn subject_cn_of_a_handmade_certificate() {
        fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
            let mut v = vec![tag];
            if body.len() < 0x80 {
                v.push(body.len() as u8);
            } else {
                v.extend([0x81, body.len() as u8]);
            }
            v.extend_from_slice(body);
            v
        }
        let name = |cn: &[u8]| {
            let o = tlv(
                0x31,
                &tlv(
                    0x30,
                    &[tlv(0x06, &[0x55, 0x04, 0x0a]), tlv(0x0c, b"org")].concat(),
                ),
            );
            let c = tlv(
                0x31,
                &tlv(
                    0x30,
                    &[tlv(0x06, &[0x55, 0x04, 0x03]), tlv(0x0c, cn)].concat(),
                ),
            );
            tlv(0x30, &[o, c].concat())
        };
        let tbs = tlv(
            0x30,
            &[
                tlv(0xa0, &tlv(0x02, &[2])),
                tlv(0x02, &[1]),
                tlv(0x30, &[]),
                name(b"issuer"),
                tlv(0x30, &[]),
                name(b"alice"),
            ]
            .concat(),
        );
        let cert = tlv(0x30, &[tbs, tlv(0x30, &[]), tlv(0x03, &[0])].concat());
        assert_eq!(subject_common_name(&cert).as_deref(), Some(&b"alice"[..]));
    }

    #[test]
    fn session_cache_honours_size_and_timeout() {
        let cache = SessionCache::new(2, Duration::from_secs(60));
        assert!(cache.put(b"a".to_vec(), b"1".to_vec()));
        cache.put(b"b".to_vec(), b"2".to_vec());
        cache.put(b"c".to_vec(), b"3".to_vec());
        assert_eq!(cache.get(b"a"), None);
        assert_eq!(cache.get(b"b"), Some(b"2".to_vec()));
        assert_eq!(cache.take(b"c"), Some(b"3".to_vec()));
        assert_eq!(cache.get(b"c"), None);
        let expired = SessionCache::new(0, Duration::ZERO);
        expired.put(b"a".to_vec(), b"1".to_vec());
        assert_eq!(expired.get(b"a"), None);
    }
}
