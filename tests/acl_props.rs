//! Properties of the ACL rule parser (`ferrodis::acl`): no rule, whatever its bytes, panics;
//! a user described by ACL LIST's text and rebuilt from that text describes the same again
//! (what ACL SAVE then ACL LOAD relies on); the permission check never panics on arbitrary
//! arguments.

use ferrodis::acl::file::merge_selector_args;
use ferrodis::acl::user_check;
use ferrodis::cmd::table::registry;
use ferrodis::state::acl::User;
use proptest::prelude::*;

/// Rules that are often valid, mixed with arbitrary bytes.
fn rule() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            "on",
            "off",
            "nopass",
            "resetpass",
            "reset",
            "allkeys",
            "resetkeys",
            "allchannels",
            "resetchannels",
            "allcommands",
            "nocommands",
            "+@all",
            "-@all",
            "+@read",
            "-@write",
            "+@hash",
            "-@dangerous",
            "+get",
            "-set",
            "+client|list",
            "-config|set",
            "+select|0",
            "~k*",
            "%R~r*",
            "%W~w?",
            "&ch*",
            ">pw",
            "<pw",
            "clearselectors",
            "(+get ~a*)",
            "(-@all +@string &x)",
            "sanitize-payload",
            "skip-sanitize-payload",
            "+config",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..12),
        "[-+~%&()#<>!@|a-zA-Z*?]{0,12}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn rules_never_panic_and_descriptions_round_trip(rules in prop::collection::vec(rule(), 0..12)) {
        let mut u = User::new(b"u", false);
        for r in &rules {
            let _ = u.apply(r, false);
        }
        let text = u.describe();
        // Rebuild from the description, as ACL LOAD reads an ACL SAVE line.
        let words: Vec<&[u8]> = text.split(|&b| b == b' ').collect();
        let merged = merge_selector_args(&words).expect("balanced selectors");
        let mut again = User::new(b"u", false);
        for w in &merged {
            prop_assert!(again.apply(w, false).is_ok(), "{}", String::from_utf8_lossy(w));
        }
        let rebuilt = again.describe();
        prop_assert_eq!(String::from_utf8_lossy(&rebuilt), String::from_utf8_lossy(&text));
    }

    #[test]
    fn checks_never_panic(
        rules in prop::collection::vec(rule(), 0..8),
        cmd in 0usize..400,
        args in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..6), 0..5),
    ) {
        let mut u = User::new(b"u", false);
        for r in &rules {
            let _ = u.apply(r, false);
        }
        let reg = registry();
        let id = cmd % reg.all.len();
        let name = reg.full_name(id).to_string();
        let mut argv: Vec<&[u8]> = name.split('|').map(str::as_bytes).collect();
        argv.extend(args.iter().map(Vec::as_slice));
        let _ = user_check(&u, id, &argv);
    }
}
