//! Fairness: a client pipelining a million commands gets a bounded share of each loop turn
//! (1,024 commands or about 1 ms, and a few reads), so another client's PING is answered
//! within a turn or two rather than after the whole pipeline.

mod common;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{encode, Server};

const FLOOD: usize = 1_000_000;

#[test]
fn a_pipelining_flood_does_not_hold_up_another_client() {
    let server = Server::ferrodis(&[]);
    let flooder = server.raw();
    let mut writer = flooder.stream.try_clone().expect("clone");
    let mut reader = flooder.stream.try_clone().expect("clone");
    let done = Arc::new(AtomicBool::new(false));

    // The flooder writes a million PINGs as fast as the socket takes them...
    let write_side = thread::spawn(move || {
        let chunk = encode(&[b"PING"]).repeat(10_000);
        for _ in 0..FLOOD / 10_000 {
            writer.write_all(&chunk).expect("flood write");
        }
    });
    // ...and reads its replies as they come, so only the server paces it.
    let read_side = {
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let started = Instant::now();
            let want = FLOOD * b"+PONG\r\n".len();
            let mut got = 0;
            let mut buf = vec![0u8; 256 * 1024];
            while got < want {
                let n = reader.read(&mut buf).expect("flood read");
                assert!(n > 0, "flooder closed after {got} bytes");
                got += n;
            }
            done.store(true, Ordering::SeqCst);
            started.elapsed()
        })
    };

    // Meanwhile a second client PINGs and times each round trip.
    let mut prober = server.raw();
    let mut rtts = Vec::new();
    thread::sleep(Duration::from_millis(20));
    while !done.load(Ordering::SeqCst) {
        let t = Instant::now();
        assert_eq!(prober.cmd(&["PING"]), b"+PONG\r\n");
        rtts.push(t.elapsed());
        thread::sleep(Duration::from_millis(2));
    }
    write_side.join().expect("writer");
    let flood_time = read_side.join().expect("reader");
    rtts.sort();
    assert!(
        rtts.len() >= 20,
        "only {} PINGs during the flood",
        rtts.len()
    );
    let median = rtts[rtts.len() / 2];
    let p90 = rtts[rtts.len() * 9 / 10];
    eprintln!(
        "flood of {FLOOD} PINGs took {flood_time:?}; {} PINGs beside it: median {median:?}, \
         p90 {p90:?}, max {:?}",
        rtts.len(),
        rtts[rtts.len() - 1]
    );
    // The flood takes seconds (debug build) or hundreds of ms; a turn takes about one.
    // Generous bounds for two busy cores, far below what waiting for the flood would cost.
    assert!(median < Duration::from_millis(10), "median PING {median:?}");
    assert!(p90 < Duration::from_millis(30), "p90 PING {p90:?}");
    assert!(
        flood_time > p90 * 5,
        "the flood ({flood_time:?}) was too short to tell"
    );
}
