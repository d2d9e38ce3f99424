//! Log set-up: `log` + `fern`, Redis-like text lines or JSON lines, stdout or a file.

use std::io::Write;

use crate::config::{Config, LogFormat, LogLevel};

fn filter(level: LogLevel) -> log::LevelFilter {
    match level {
        LogLevel::Debug => log::LevelFilter::Trace,
        LogLevel::Verbose => log::LevelFilter::Debug,
        LogLevel::Notice => log::LevelFilter::Info,
        LogLevel::Warning => log::LevelFilter::Warn,
    }
}

/// Applies a new `loglevel` at run time (CONFIG SET).
pub fn set_level(level: LogLevel) {
    log::set_max_level(filter(level));
}

fn escape_json(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

/// Redis's level marks: `.` debug, `-` verbose, `*` notice, `#` warning.
fn mark(level: log::Level) -> char {
    match level {
        log::Level::Trace => '.',
        log::Level::Debug => '-',
        log::Level::Info => '*',
        log::Level::Warn | log::Level::Error => '#',
    }
}

fn timestamp() -> (String, i64) {
    let ms = crate::state::unix_ms();
    let secs = ms / 1000;
    // SAFETY: `tm` is plain data filled by localtime_r from a valid time_t.
    let text = unsafe {
        let t: libc::time_t = secs as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!(
            "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
            tm.tm_mday,
            MONTHS[(tm.tm_mon.clamp(0, 11)) as usize],
            tm.tm_year + 1900,
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec,
            ms % 1000
        )
    };
    (text, ms)
}

/// Installs the global logger described by `config`.
pub fn init(config: &Config) -> Result<(), String> {
    let pid = std::process::id();
    let format = config.logformat;
    let dispatch = fern::Dispatch::new()
        // Everything passes fern; `log::set_max_level` (here and in `set_level`) filters, so
        // CONFIG SET loglevel can lower the level at run time.
        .level(log::LevelFilter::Trace)
        .format(move |out, message, record| {
            let (time, ms) = timestamp();
            match format {
                LogFormat::Text => out.finish(format_args!(
                    "{pid}:M {time} {} {message}",
                    mark(record.level())
                )),
                LogFormat::Json => {
                    let mut msg = String::new();
                    escape_json(&message.to_string(), &mut msg);
                    out.finish(format_args!(
                        "{{\"ts\":{ms},\"pid\":{pid},\"level\":\"{}\",\"msg\":\"{msg}\"}}",
                        match record.level() {
                            log::Level::Trace => "debug",
                            log::Level::Debug => "verbose",
                            log::Level::Info => "notice",
                            _ => "warning",
                        }
                    ))
                }
            }
        });
    let dispatch = if config.logfile.is_empty() {
        dispatch.chain(std::io::stdout())
    } else {
        let file = fern::log_file(&config.logfile)
            .map_err(|e| format!("can't open the log file {}: {e}", config.logfile))?;
        dispatch.chain(file)
    };
    dispatch
        .apply()
        .map_err(|e| format!("cannot install logger: {e}"))?;
    log::set_max_level(filter(config.loglevel));
    let _ = std::io::stdout().flush();
    Ok(())
}
