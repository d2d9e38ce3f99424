//! Unit tests of the RDB format: DUMP bytes against Redis's, round trips, corrupt input.

use super::dump_cases::REDIS_DUMPS;
use super::*;
use crate::store::hash::{Hash, Limits as HashLimits};
use crate::store::list::End;
use crate::store::set::Set;
use crate::store::zset::Limits as ZLimits;
use crate::store::{SmallBytes, Value};

/// Equal contents and, except for strings (which RESTORE re-encodes as SET would, so an
/// appended "123" comes back as an integer, as in Redis), equal encodings.
fn assert_same_value(a: &Value, b: &Value) {
    if a.is_string() {
        let (mut x, mut y) = (itoa::Buffer::new(), itoa::Buffer::new());
        assert_eq!(a.as_bytes(&mut x), b.as_bytes(&mut y));
    } else {
        assert_eq!(a, b);
        assert_eq!(a.encoding(), b.encoding());
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Expands the generator commands of `REDIS_DUMPS` as the recording script did.
fn expand(cmd: &[&str]) -> Vec<Vec<String>> {
    let s = |x: &str| x.to_string();
    let n = |i: usize| cmd[i].parse::<i64>().unwrap();
    match cmd[0] {
        "RPUSHN" => {
            let mut c = vec![s("RPUSH"), s(cmd[1])];
            c.extend((0..n(2)).map(|i| format!("{}{i}", cmd[3])));
            vec![c]
        }
        "ZADDN" => {
            let mut c = vec![s("ZADD"), s(cmd[1])];
            for i in 0..n(2) {
                c.push(format!("{}", i as f64 * 1.5));
                c.push(format!("{}{i}", cmd[3]));
            }
            vec![c]
        }
        "SADDN" => {
            let mut c = vec![s("SADD"), s(cmd[1])];
            c.extend((0..n(2)).map(|i| (n(3) + i * n(4)).to_string()));
            vec![c]
        }
        "HSETN" => {
            let mut c = vec![s("HSET"), s(cmd[1])];
            for i in 0..n(2) {
                c.push(format!("{}{i}", cmd[3]));
                c.push((i * 7).to_string());
            }
            vec![c]
        }
        "SETREP" => vec![vec![s("SET"), s(cmd[1]), cmd[2].repeat(n(3) as usize)]],
        _ => vec![cmd.iter().map(|x| x.to_string()).collect()],
    }
}

/// Builds the value of key `k` by applying the commands through the store API, as the
/// command handlers do.
fn build(cmds: &[&[&str]], config: &Config) -> Value {
    let hl = HashLimits {
        max_entries: config.hash_max_listpack_entries as u64,
        max_value: config.hash_max_listpack_value as u64,
    };
    let zl = ZLimits {
        max_entries: config.zset_max_listpack_entries,
        max_value: config.zset_max_listpack_value,
    };
    let fill = config.list_max_listpack_size;
    let mut v: Option<Value> = None;
    for cmd in cmds.iter().flat_map(|c| expand(c)) {
        let args: Vec<&[u8]> = cmd[2..].iter().map(|a| a.as_bytes()).collect();
        match cmd[0].as_str() {
            "SET" => v = Some(Value::from_bytes(args[0])),
            "APPEND" => match v.as_mut() {
                None => v = Some(Value::from_bytes(args[0])),
                Some(val) => val.make_raw().unwrap().extend_from_slice(args[0]),
            },
            "RPUSH" | "LPUSH" => {
                let end = if cmd[0] == "RPUSH" {
                    End::Tail
                } else {
                    End::Head
                };
                let val = v.get_or_insert_with(|| Value::List(Box::default()));
                let Value::List(l) = val else { panic!() };
                for a in args {
                    l.push(end, a, fill);
                }
            }
            "HSET" => {
                let val = v.get_or_insert_with(|| Value::Hash(Hash::new()));
                let Value::Hash(h) = val else { panic!() };
                h.try_conversion(args.iter().map(|a| a.len()), hl);
                for p in args.chunks(2) {
                    h.insert(p[0], p[1], hl);
                }
            }
            "HDEL" => {
                let Some(Value::Hash(h)) = v.as_mut() else {
                    panic!()
                };
                for a in args {
                    h.remove(a);
                }
                if h.is_empty() {
                    v = None;
                }
            }
            "ZADD" => {
                let val = v.get_or_insert_with(|| Value::ZSet(Box::default()));
                let Value::ZSet(z) = val else { panic!() };
                for p in args.chunks(2) {
                    let score = crate::util::num::parse_f64(p[0]).unwrap();
                    if z.score(p[1]).is_some() {
                        z.set_score(p[1], score);
                    } else {
                        z.insert_new(p[1], score, zl);
                    }
                }
            }
            "SADD" => {
                let val = v.get_or_insert_with(|| Value::Set(Set::new_for(args[0])));
                let Value::Set(s) = val else { panic!() };
                for a in args {
                    s.insert(a, config.set_max_intset_entries);
                }
            }
            "SREM" => {
                let Some(Value::Set(s)) = v.as_mut() else {
                    panic!()
                };
                for a in args {
                    s.remove(a);
                }
                if s.is_empty() {
                    v = None;
                }
            }
            other => panic!("no builder for {other}"),
        }
    }
    v.expect("a value")
}

#[test]
fn dump_payloads_match_redis_byte_for_byte() {
    let config = Config::default();
    let mut failures = Vec::new();
    for (cmds, encoding, want) in REDIS_DUMPS {
        let want: String = want.split_whitespace().collect();
        let value = build(cmds, &config);
        assert_eq!(value.encoding(), *encoding, "{cmds:?}");
        let got = dump_payload(&value, &config);
        if hex(&got) != want {
            failures.push(format!("{cmds:?}\n  want {want}\n  got  {}", hex(&got)));
            continue;
        }
        let back = restore_payload(&got, &config).expect("restore");
        assert_same_value(&value, &back);
        assert_eq!(dump_payload(&back, &config), got, "{cmds:?}: re-dump");
        // Redis's own payload restores to the same value.
        assert_eq!(restore_payload(&unhex(&want), &config).as_ref(), Ok(&back));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn restore_checks_version_and_checksum() {
    let config = Config::default();
    let good = dump_payload(&Value::from_bytes(b"hello"), &config);
    assert!(restore_payload(&good, &config).is_ok());
    assert_eq!(
        restore_payload(&good[..9], &config),
        Err(RestoreError::BadPayload)
    );
    let mut bad_crc = good.clone();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 1;
    assert_eq!(
        restore_payload(&bad_crc, &config),
        Err(RestoreError::BadPayload)
    );
    // A zero checksum is not accepted by RESTORE.
    let mut zero = good.clone();
    let n = zero.len();
    zero[n - 8..].fill(0);
    assert_eq!(
        restore_payload(&zero, &config),
        Err(RestoreError::BadPayload)
    );
    // Version 11 is from the future; version 9 is fine.
    let with_version = |v: u16, body: &[u8]| {
        let mut p = body.to_vec();
        p.extend_from_slice(&v.to_le_bytes());
        let crc = crc64(0, &p);
        p.extend_from_slice(&crc.to_le_bytes());
        p
    };
    let body = &good[..good.len() - 10];
    assert_eq!(
        restore_payload(&with_version(11, body), &config),
        Err(RestoreError::BadPayload)
    );
    assert!(restore_payload(&with_version(9, body), &config).is_ok());
    // Well-formed footer around a bad body.
    for body in [
        &b"\x0f\x00"[..],
        b"\x00\xc4",
        b"\x12\x00",
        b"\x02\x00",
        b"\x63",
    ] {
        assert_eq!(
            restore_payload(&with_version(10, body), &config),
            Err(RestoreError::BadFormat),
            "{body:?}"
        );
    }
    assert_eq!(
        RestoreError::BadPayload.to_string(),
        "ERR DUMP payload version or checksum are wrong"
    );
    assert_eq!(RestoreError::BadFormat.to_string(), "ERR Bad data format");
}

#[test]
fn compression_off_writes_strings_verbatim() {
    let config = Config {
        rdbcompression: false,
        ..Config::default()
    };
    let v = Value::from_bytes(&[b'a'; 57]);
    let p = dump_payload(&v, &config);
    assert_eq!(&p[..3], b"\x00\x39a");
    assert_eq!(restore_payload(&p, &config), Ok(v));
}

// ------------------------------------------------------------------------- whole files

/// A keyspace with every type and encoding, some TTLs, across two databases.
fn sample_dbs(config: &Config) -> Vec<Db> {
    let mut dbs: Vec<Db> = (0..16).map(|_| Db::new()).collect();
    for (i, (cmds, _, _)) in REDIS_DUMPS.iter().enumerate() {
        let v = build(cmds, config);
        let db = &mut dbs[i % 2 * 3];
        let slot = db.set(format!("key:{i}").as_bytes(), v, false, 0);
        if i % 5 == 0 {
            db.set_expire(slot, 4_000_000_000_000 + i as i64);
        }
    }
    let big_hash = build(&[&["HSETN", "k", "1000", "f"]], config);
    let big_set = build(&[&["SADD", "k", "a", "b", "c", "1"]], config);
    let big_list = build(&[&["RPUSHN", "k", "20000", "item-"]], config);
    dbs[5].set(b"bighash", big_hash, false, 0);
    dbs[5].set(b"bigset", big_set, false, 0);
    dbs[5].set(b"biglist", big_list, false, 0);
    dbs[5].insert_new(SmallBytes::new(&[b'k'; 300]), Value::Int(7), 0);
    dbs
}

fn write(dbs: &[Db], config: &Config) -> Vec<u8> {
    let mut out = Vec::new();
    let info = SaveInfo {
        ctime_unix: 1_700_000_000,
        used_mem: 1 << 20,
    };
    write_rdb(&mut out, dbs, config, &info).unwrap();
    out
}

fn assert_same(a: &[Db], b: &[Db]) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.len(), y.len(), "db {i}");
        assert_eq!(x.expires_len(), y.expires_len(), "db {i}");
        for (slot, e) in x.iter() {
            let other = y.find(&e.key).expect("key present");
            let oe = y.entry(other).unwrap();
            assert_same_value(&e.value, &oe.value);
            assert_eq!(x.expire_at(slot), y.expire_at(other));
        }
    }
}

#[test]
fn files_round_trip() {
    let config = Config::default();
    let dbs = sample_dbs(&config);
    let file = write(&dbs, &config);
    assert_eq!(&file[..9], b"REDIS0010");
    let mut loaded: Vec<Db> = (0..16).map(|_| Db::new()).collect();
    let info = read_rdb(&file[..], &mut loaded, &config, 1_000, 0).unwrap();
    let total: usize = dbs.iter().map(Db::len).sum();
    assert_eq!(info.keys as usize, total);
    assert_same(&dbs, &loaded);
    // Saving what was loaded gives the same file.
    assert_eq!(write(&loaded, &config), file);
}

#[test]
fn checksum_is_verified_unless_zero_or_disabled() {
    let config = Config::default();
    let dbs = sample_dbs(&config);
    let mut file = write(&dbs, &config);
    let n = file.len();
    file[n - 3] ^= 0x40;
    let mut loaded: Vec<Db> = (0..16).map(|_| Db::new()).collect();
    let err = read_rdb(&file[..], &mut loaded, &config, 0, 0).unwrap_err();
    assert!(err.message.contains("checksum"), "{err}");
    assert_eq!(err.offset, n as u64 - 8);
    let off = Config {
        rdbchecksum: false,
        ..Config::default()
    };
    let mut loaded: Vec<Db> = (0..16).map(|_| Db::new()).collect();
    assert!(read_rdb(&file[..], &mut loaded, &off, 0, 0).is_ok());
    // Written without a checksum: eight zero bytes, accepted.
    let unchecked = write(&dbs, &off);
    assert_eq!(&unchecked[unchecked.len() - 8..], &[0u8; 8]);
    let mut loaded: Vec<Db> = (0..16).map(|_| Db::new()).collect();
    assert!(read_rdb(&unchecked[..], &mut loaded, &config, 0, 0).is_ok());
}

#[test]
fn expired_keys_are_skipped_on_load() {
    let config = Config::default();
    let mut dbs = vec![Db::new()];
    for (i, at) in [(0, Some(999)), (1, Some(1000)), (2, Some(1001)), (3, None)] {
        let slot = dbs[0].set(format!("k{i}").as_bytes(), Value::Int(i), false, 0);
        if let Some(at) = at {
            dbs[0].set_expire(slot, at);
        }
    }
    let file = write(&dbs, &config);
    let mut loaded = vec![Db::new()];
    let info = read_rdb(&file[..], &mut loaded, &config, 1000, 0).unwrap();
    assert_eq!(
        info,
        Loaded {
            keys: 3,
            expired_skipped: 1
        }
    );
    assert!(loaded[0].find(b"k0").is_none());
    assert_eq!(
        loaded[0].expire_at(loaded[0].find(b"k1").unwrap()),
        Some(1000)
    );
}

#[test]
fn idle_and_frequency_survive_a_reload() {
    use crate::config::MaxmemoryPolicy;
    let lru = Config {
        maxmemory_policy: MaxmemoryPolicy::AllkeysLru,
        ..Config::default()
    };
    let mut dbs = vec![Db::new()];
    dbs[0].set(b"old", Value::Int(1), false, 100);
    dbs[0].set(b"new", Value::Int(2), false, 990);
    let mut file = Vec::new();
    let info = SaveInfo {
        ctime_unix: 1_700_000_000,
        used_mem: 0,
    };
    write_rdb_clocked(&mut file, &dbs, &lru, &info, 1000).unwrap();
    let mut loaded = vec![Db::new()];
    read_rdb(&file[..], &mut loaded, &lru, 0, 5000).unwrap();
    let access = |db: &Db, k: &[u8]| db.entry(db.find(k).unwrap()).unwrap().access;
    assert_eq!(access(&loaded[0], b"old"), 5000 - 900);
    assert_eq!(access(&loaded[0], b"new"), 5000 - 10);

    let lfu = Config {
        maxmemory_policy: MaxmemoryPolicy::AllkeysLfu,
        ..Config::default()
    };
    let now_ms = 1_700_000_000_000i64;
    let minutes = ((now_ms / 60_000) & 0xffff) as u32;
    let mut dbs = vec![Db::new()];
    dbs[0].set(b"hot", Value::Int(1), false, (minutes << 8) | 77);
    let mut file = Vec::new();
    write_rdb(&mut file, &dbs, &lfu, &info).unwrap();
    let mut loaded = vec![Db::new()];
    read_rdb(&file[..], &mut loaded, &lfu, now_ms, 0).unwrap();
    assert_eq!(access(&loaded[0], b"hot") & 0xff, 77);
}

#[test]
fn unsupported_types_are_named_errors() {
    let config = Config::default();
    let mut file = b"REDIS0010".to_vec();
    file.extend_from_slice(b"\xfe\x00\x13\x01s");
    let mut dbs = vec![Db::new()];
    let err = read_rdb(&file[..], &mut dbs, &config, 0, 0).unwrap_err();
    assert_eq!(err.offset, 11);
    assert!(
        err.message.contains("stream") && err.message.contains("19"),
        "{err}"
    );
    let mut file = b"REDIS0010\xf5".to_vec();
    file.extend_from_slice(b"\x00");
    let err = read_rdb(&file[..], &mut dbs, &config, 0, 0).unwrap_err();
    assert!(err.message.contains("function"), "{err}");
    let err = read_rdb(&b"REDIS0011\xff"[..], &mut dbs, &config, 0, 0).unwrap_err();
    assert!(err.message.contains("version"), "{err}");
    let err = read_rdb(&b"REDIS0010\xfe\x05"[..], &mut dbs, &config, 0, 0).unwrap_err();
    assert!(err.message.contains("database 5"), "{err}");
    assert_eq!(err.to_string(), format!("{} at offset 9", err.message));
}

/// A Redis 2.4-style file (version 4, no checksum): zipmap hash, ziplist list, ziplist
/// zset, an expire in seconds, text-score zset, linked list, string.
fn old_format_file() -> Vec<u8> {
    let mut f = b"REDIS0004\xfe\x00".to_vec();
    let zipmap = b"\x02\x03foo\x03\x01bar!\x01k\xfe\x02\x00\x00\x00\x00hi\xff";
    f.push(9);
    f.extend_from_slice(b"\x02zm");
    f.push(zipmap.len() as u8);
    f.extend_from_slice(zipmap);
    let ziplist = |items: &[&[u8]]| {
        let mut zl = vec![0u8; 10];
        let mut prev = 0usize;
        for it in items {
            let start = zl.len();
            zl.push(prev as u8);
            zl.push(it.len() as u8);
            zl.extend_from_slice(it);
            prev = zl.len() - start;
        }
        zl.push(0xff);
        let total = zl.len() as u32;
        zl[0..4].copy_from_slice(&total.to_le_bytes());
        zl[8..10].copy_from_slice(&(items.len() as u16).to_le_bytes());
        zl
    };
    let zl = ziplist(&[b"a", b"b", b"c"]);
    f.push(10);
    f.extend_from_slice(b"\x02zl");
    f.push(zl.len() as u8);
    f.extend_from_slice(&zl);
    let zz = ziplist(&[b"m", b"1.5", b"n", b"2"]);
    f.extend_from_slice(b"\xfd\xff\xff\xff\x7f"); // expire in 2038, seconds
    f.push(12);
    f.extend_from_slice(b"\x02zz");
    f.push(zz.len() as u8);
    f.extend_from_slice(&zz);
    f.extend_from_slice(b"\x03\x02zt\x02\x01a\x031.5\x01b\xfe");
    f.extend_from_slice(b"\x01\x02ll\x02\x01x\xc0\x05");
    f.extend_from_slice(b"\x00\x01s\x03abc\xff");
    f
}

#[test]
fn old_encodings_load() {
    let config = Config::default();
    let f = old_format_file();
    let mut dbs = vec![Db::new()];
    let info = read_rdb(&f[..], &mut dbs, &config, 0, 0).unwrap();
    assert_eq!(info.keys, 6);
    let get = |k: &[u8]| dbs[0].entry(dbs[0].find(k).unwrap()).unwrap();
    let Value::Hash(h) = &get(b"zm").value else {
        panic!()
    };
    assert_eq!(h.get(b"k").map(|e| e.to_vec()), Some(b"hi".to_vec()));
    assert_eq!(h.encoding(), "listpack");
    let Value::List(l) = &get(b"zl").value else {
        panic!()
    };
    assert_eq!(l.iter_from(0).collect::<Vec<_>>(), vec![b"a", b"b", b"c"]);
    let Value::ZSet(z) = &get(b"zz").value else {
        panic!()
    };
    assert_eq!(z.score(b"m"), Some(1.5));
    assert_eq!(
        dbs[0].expire_at(dbs[0].find(b"zz").unwrap()),
        Some(2_147_483_647_000)
    );
    let Value::ZSet(z) = &get(b"zt").value else {
        panic!()
    };
    assert_eq!(z.score(b"b"), Some(f64::INFINITY));
    let Value::List(l) = &get(b"ll").value else {
        panic!()
    };
    assert_eq!(l.iter_from(0).collect::<Vec<_>>(), vec![&b"x"[..], b"5"]);
}

/// A tiny deterministic generator for the fuzz tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn corrupt_files_never_panic() {
    let config = Config {
        rdbchecksum: false,
        ..Config::default()
    };
    let mut dbs = sample_dbs(&config);
    // Keep the fuzz input small enough to mutate many times.
    dbs[5] = Db::new();
    let file = write(&dbs, &config);
    let old = old_format_file();
    let mut rng = Rng(0x5eed);
    let fresh = || (0..16).map(|_| Db::new()).collect::<Vec<Db>>();
    for (input, step) in [(&file, 7), (&old, 1)] {
        for cut in (0..input.len()).step_by(step) {
            let mut d = fresh();
            assert!(read_rdb(&input[..cut], &mut d, &config, 0, 0).is_err());
        }
    }
    for round in 0..4000 {
        let file = if round % 4 == 0 { &old } else { &file };
        let mut f = file.to_vec();
        for _ in 0..1 + round % 4 {
            let i = rng.below(f.len());
            f[i] = match rng.below(4) {
                0 => rng.next() as u8,
                1 => f[i] ^ (1 << rng.below(8)),
                2 => 0xff,
                _ => 0x80,
            };
        }
        if round % 3 == 0 {
            f.truncate(rng.below(f.len()));
        }
        let mut d = fresh();
        let _ = read_rdb(&f[..], &mut d, &config, 0, 0);
    }
}

#[test]
fn corrupt_payloads_never_panic() {
    let config = Config::default();
    let mut rng = Rng(0xfeed);
    for (cmds, _, _) in REDIS_DUMPS {
        let payload = dump_payload(&build(cmds, &config), &config);
        let body = &payload[..payload.len() - 10];
        for _ in 0..40 {
            let mut b = body.to_vec();
            let i = rng.below(b.len());
            b[i] = rng.next() as u8;
            if rng.below(3) == 0 {
                b.truncate(rng.below(b.len()));
            }
            let _ = decode::read_value(&b, &config);
        }
    }
}

#[test]
fn huge_claimed_lengths_fail_without_allocating() {
    let config = Config::default();
    let mut dbs = vec![Db::new()];
    // A string claiming 2^63 bytes, a set claiming 2^32 members, an LZF string claiming a
    // 2^40-byte expansion of 3 bytes.
    for tail in [
        &b"\x00\x01k\x81\x80\x00\x00\x00\x00\x00\x00\x00"[..],
        b"\x02\x01k\x80\xff\xff\xff\xff\x01a",
        b"\x00\x01k\xc3\x03\x81\x00\x00\x01\x00\x00\x00\x00\x00\x00ab",
    ] {
        let mut f = b"REDIS0010\xfe\x00".to_vec();
        f.extend_from_slice(tail);
        assert!(read_rdb(&f[..], &mut dbs, &config, 0, 0).is_err());
    }
}

#[test]
fn whole_file_matches_redis_save() {
    // `SET a 1` then SAVE on Redis 7.0.15 (ctime 0x6b0779ee, used-mem 0x0e5560).
    let redis = unhex(
        "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040\
         fa056374696d65c2ee79076bfa08757365642d6d656dc260550e00fa08616f662d62617365c000fe00\
         fb0100000161c001ff752418d450a7c525",
    );
    let mut dbs: Vec<Db> = (0..16).map(|_| Db::new()).collect();
    dbs[0].set(b"a", Value::Int(1), false, 0);
    let mut out = Vec::new();
    let info = SaveInfo {
        ctime_unix: 0x6b07_79ee,
        used_mem: 0x0e_5560,
    };
    write_rdb(&mut out, &dbs, &Config::default(), &info).unwrap();
    assert_eq!(hex(&out), hex(&redis));
}
