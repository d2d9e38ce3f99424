//! `ferrodis`: parse flags, build the configuration, run the server.

use ferrodis::config::{CliArgs, Config};

#[global_allocator]
static ALLOC: ferrodis::alloc::Counting = ferrodis::alloc::Counting;

fn main() {
    let cli: CliArgs = argh::from_env();
    if cli.version {
        println!("ferrodis {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    let config = match Config::load(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ferrodis: configuration error: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = ferrodis::logging::init(&config) {
        eprintln!("ferrodis: {e}");
        std::process::exit(1);
    }
    if let Err(e) = ferrodis::net::run(config) {
        log::error!("{e}");
        std::process::exit(1);
    }
}
