//! Compiles `csrc/longdouble.c`: the few conversions ferrodis hands to the C
//! library (strtod/strtold and `long double` formatting) to match Redis 7.0
//! byte for byte.

fn main() {
    println!("cargo:rerun-if-changed=csrc/longdouble.c");
    println!("cargo:rerun-if-changed=build.rs");
    cc::Build::new()
        .file("csrc/longdouble.c")
        .flag_if_supported("-std=c11")
        .warnings(true)
        .compile("ferrodis_longdouble");
}
