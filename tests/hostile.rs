//! Hostile clients against the real ferrodis binary.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use common::{show, show_short, Server};

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_nodelay(true).expect("nodelay");
    s
}

/// Reads until the server closes the connection; the bytes, and whether the end was an error
/// (a reset, which may have discarded bytes in flight) rather than a clean EOF. Panics when
/// the server keeps the connection open for `within`.
fn read_to_close(s: &mut TcpStream, within: Duration, what: &str) -> (Vec<u8>, bool) {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "{what}: the server kept the connection open for {within:?}; got {}",
            show_short(&got, 200)
        );
        s.set_read_timeout(Some(left)).expect("read timeout");
        match s.read(&mut buf) {
            Ok(0) => return (got, false),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return (got, true),
        }
    }
}

/// Requests followed at once by the end of the client's stream (it shuts its write side):
/// answered, then closed, as redis-server does. When the bytes and the end arrived in one
/// readiness report, ferrodis once read the bytes and then waited forever for a report that
/// edge-triggered polling never repeats, keeping the connection (and its slot) open.
#[test]
fn the_end_of_a_clients_stream_closes_its_connection_like_redis() {
    let inputs: &[&[u8]] = &[b"PING\r\nECHO hi\r\n", b">", b"*1\r\n$4\r\nPI", b"PING"];
    let ferrodis = Server::ferrodis(&[]);
    let redis = Server::redis();
    let ended = |port: u16, input: &[u8]| {
        let mut s = connect(port);
        s.write_all(input).expect("write");
        s.shutdown(Shutdown::Write).expect("shutdown");
        let what = format!("{} then the end of the stream", show(input));
        read_to_close(&mut s, Duration::from_secs(5), &what).0
    };
    for input in inputs {
        let want = ended(redis.port, input);
        // Several tries: the bytes and the end must reach the server together to matter.
        for _ in 0..20 {
            assert_eq!(show(&ended(ferrodis.port, input)), show(&want));
        }
    }
}
