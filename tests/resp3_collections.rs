//! RESP3 replies of the collection commands that the random differential streams
//! (`diff_zset`, `diff_hash`, `diff_set`) do not reach: blocked sorted-set pops released by
//! CLIENT UNBLOCK, or refused inside MULTI, answer Redis's null array, which is `_` for a RESP3
//! client and `*-1` for a RESP2 one, on the same server at the same time.

mod common;
#[path = "common/resp3.rs"]
mod resp3;

use std::time::Duration;

use common::{show_short, Raw, Server};
use resp3::hello3;

fn client_id(c: &mut Raw) -> String {
    let reply = c.cmd(&["CLIENT", "ID"]);
    String::from_utf8_lossy(&reply)
        .trim_start_matches(':')
        .trim()
        .to_string()
}

/// One server's transcript: a RESP3 and a RESP2 client each blocked in BZPOPMIN and BZMPOP,
/// released by CLIENT UNBLOCK (TIMEOUT, then ERROR), and the same pops inside MULTI.
fn scenario(port: u16) -> Vec<String> {
    let mut log = Vec::new();
    let mut admin = Raw::connect(port);
    let mut r3 = Raw::connect(port);
    let mut r2 = Raw::connect(port);
    hello3(&mut r3);
    for (label, c) in [("resp3", &mut r3), ("resp2", &mut r2)] {
        let id = client_id(c);
        for pop in [
            &["BZPOPMIN", "k", "0"][..],
            &["BZMPOP", "0", "1", "k", "MAX", "COUNT", "2"],
        ] {
            for how in ["TIMEOUT", "ERROR"] {
                c.write(&common::encode(
                    &pop.iter().map(|a| a.as_bytes()).collect::<Vec<_>>(),
                ));
                let (early, _) = c.read_until_quiet(Duration::from_millis(100));
                let unblocked = admin.cmd(&["CLIENT", "UNBLOCK", &id, how]);
                let reply = c.read_reply();
                log.push(format!(
                    "{label} {} {how}: early {:?}, unblock {}, reply {}",
                    pop[0],
                    show_short(&early, 100),
                    show_short(&unblocked, 100),
                    show_short(&reply, 100)
                ));
            }
        }
        c.cmd(&["MULTI"]);
        c.cmd(&["BZPOPMAX", "k", "0"]);
        c.cmd(&["BZMPOP", "0", "1", "k", "MIN"]);
        let exec = c.cmd(&["EXEC"]);
        log.push(format!("{label} exec: {}", show_short(&exec, 200)));
    }
    log
}

#[test]
fn released_and_refused_blocking_pops_answer_the_null_array_of_their_protocol() {
    let ferrodis = Server::ferrodis(&[]);
    let got = scenario(ferrodis.port);
    let redis = Server::redis();
    let want = scenario(redis.port);
    assert_eq!(got, want, "left ferrodis, right redis-server");
    // Guard against a scenario that proves nothing: both protocols' nulls are in it.
    assert!(
        want.iter().any(|l| l.contains("reply _\\r\\n")),
        "{want:#?}"
    );
    assert!(
        want.iter().any(|l| l.contains("reply *-1\\r\\n")),
        "{want:#?}"
    );
}
