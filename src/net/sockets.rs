//! Socket and process settings the reactor applies through `libc`: the listen backlog
//! (`tcp-backlog`), keepalive on accepted sockets (`tcp-keepalive`) and the open-file limit
//! `maxclients` needs. mio and std expose none of these.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use crate::config::Config;

/// Descriptors kept for things other than clients (listeners, the poll, logs, snapshots):
/// Redis's `CONFIG_MIN_RESERVED_FDS`.
pub const RESERVED_FDS: u64 = 32;

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn set_int_opt(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `value` lives across the call and its size is passed alongside it.
    check(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// Reads an integer socket option (used by the tests to check what was set).
pub fn get_int_opt(fd: RawFd, level: libc::c_int, name: libc::c_int) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are valid for writes of the sizes given.
    check(unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    Ok(value)
}

/// `tcp-keepalive`: turns keepalive on for `fd` with probes after `secs` idle seconds, every
/// `secs / 3` seconds (at least 1) after that, giving up after 3 unanswered ones: what Redis's
/// `anetKeepAlive` sets on Linux, so a dead peer is noticed after about twice `secs`.
pub fn set_keepalive(fd: RawFd, secs: u64) -> io::Result<()> {
    let idle =
        libc::c_int::try_from(secs).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    set_int_opt(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1)?;
    set_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, idle)?;
    set_int_opt(
        fd,
        libc::IPPROTO_TCP,
        libc::TCP_KEEPINTVL,
        (idle / 3).max(1),
    )?;
    set_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3)
}

/// A non-blocking listening socket on `addr` with `SO_REUSEADDR` and a listen backlog of
/// `backlog` (`tcp-backlog`; the kernel caps it at `net.core.somaxconn`). An IPv6 socket is
/// IPv6-only, as Redis makes it, so `bind * ::*` can hold both families on one port.
pub fn listen(addr: SocketAddr, backlog: u64) -> io::Result<TcpListener> {
    let family = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    // SAFETY: plain system call; the descriptor is owned right below.
    let raw = check(unsafe {
        libc::socket(
            family,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    })?;
    // SAFETY: `raw` is a fresh descriptor nothing else owns; OwnedFd closes it on every error.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    set_int_opt(raw, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    if family == libc::AF_INET6 {
        set_int_opt(raw, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1)?;
    }
    // SAFETY: both sockaddr structs are plain data, for which all-zero bytes are valid.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let mut sin: libc::sockaddr_in = unsafe { std::mem::zeroed() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
            // SAFETY: sockaddr_storage is large and aligned enough for any sockaddr.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let mut sin6: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_addr.s6_addr = a.ip().octets();
            sin6.sin6_flowinfo = a.flowinfo();
            sin6.sin6_scope_id = a.scope_id();
            // SAFETY: as above.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    // SAFETY: `storage` holds a sockaddr of `len` bytes for this socket's family.
    check(unsafe {
        libc::bind(
            raw,
            (&storage as *const libc::sockaddr_storage).cast(),
            len as libc::socklen_t,
        )
    })?;
    let backlog = libc::c_int::try_from(backlog).unwrap_or(libc::c_int::MAX);
    // SAFETY: plain system call on a socket we own.
    check(unsafe { libc::listen(raw, backlog) })?;
    Ok(TcpListener::from(fd))
}

/// Redis's `checkTcpBacklogSettings`: warns when the kernel will cap the backlog.
pub fn check_backlog(backlog: u64) {
    let Ok(text) = std::fs::read_to_string("/proc/sys/net/core/somaxconn") else {
        return;
    };
    let Ok(somaxconn) = text.trim().parse::<u64>() else {
        return;
    };
    if somaxconn > 0 && somaxconn < backlog {
        log::warn!(
            "WARNING: The TCP backlog setting of {backlog} cannot be enforced because \
             /proc/sys/net/core/somaxconn is set to the lower value of {somaxconn}."
        );
    }
}

/// Redis's `adjustOpenFilesLimit`: makes room for `maxclients` clients plus
/// [`RESERVED_FDS`] descriptors by raising `RLIMIT_NOFILE`. When the system refuses, the
/// highest limit it grants is kept and `maxclients` is lowered to fit, with Redis's warnings;
/// a limit too low to serve any client is an error.
pub fn adjust_open_files_limit(config: &mut Config) -> Result<(), String> {
    let wanted = config.maxclients.saturating_add(RESERVED_FDS);
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is valid for writes.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        let err = io::Error::last_os_error();
        log::warn!(
            "Unable to obtain the current NOFILE limit ({err}), assuming 1024 and setting the \
             max clients configuration accordingly."
        );
        config.maxclients = 1024 - RESERVED_FDS;
        return Ok(());
    }
    let old = limit.rlim_cur;
    if old >= wanted {
        log::debug!(
            "Maximum open files is {old}: enough for maxclients {}",
            config.maxclients
        );
        return Ok(());
    }
    // Try the wanted limit, then ever lower ones down to the current limit, as Redis does.
    // After a refusal the next try is the highest ceiling the system may have imposed (the
    // hard limit for an unprivileged process, `fs.nr_open` for a privileged one) when that is
    // lower, which saves walking down in steps of 16 from a huge maxclients.
    let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok());
    let mut error = None;
    let mut best = wanted;
    while best > old {
        let attempt = libc::rlimit {
            rlim_cur: best,
            rlim_max: best.max(limit.rlim_max),
        };
        // SAFETY: `attempt` is a valid rlimit.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &attempt) } == 0 {
            break;
        }
        error = Some(io::Error::last_os_error());
        let ceiling = [nr_open, Some(limit.rlim_max)]
            .into_iter()
            .flatten()
            .filter(|&c| c < best)
            .max();
        best = match ceiling {
            Some(c) if c > old => c,
            _ => best.saturating_sub(16).max(old),
        };
    }
    let best = best.max(old);
    if best >= wanted {
        log::info!(
            "Increased maximum number of open files to {wanted} (it was originally set to {old})."
        );
        return Ok(());
    }
    if best <= RESERVED_FDS {
        return Err(format!(
            "Your current 'ulimit -n' of {old} is not enough for the server to start. Please \
             increase your open file limit to at least {wanted}. Exiting."
        ));
    }
    let requested = config.maxclients;
    config.maxclients = best - RESERVED_FDS;
    let reason = error.map_or_else(|| "unknown".to_string(), |e| os_error_text(&e));
    log::warn!(
        "You requested maxclients of {requested} requiring at least {wanted} max file descriptors."
    );
    log::warn!("Server can't set maximum open files to {wanted} because of OS error: {reason}.");
    log::warn!(
        "Current maximum open files is {best}. maxclients has been reduced to {} to compensate \
         for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
        config.maxclients
    );
    Ok(())
}

/// The bare `strerror` text of an OS error (std appends " (os error N)").
fn os_error_text(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn keepalive_sets_what_redis_sets() {
        let listener = listen("127.0.0.1:0".parse().unwrap(), 16).unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = std::net::TcpStream::connect(addr).unwrap();
        let (accepted, _) = loop {
            match listener.accept() {
                Ok(pair) => break pair,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(std::time::Duration::from_millis(5))
                }
                Err(e) => panic!("accept: {e}"),
            }
        };
        let fd = accepted.as_raw_fd();
        assert_eq!(
            get_int_opt(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE).unwrap(),
            0
        );
        set_keepalive(fd, 300).unwrap();
        assert_eq!(
            get_int_opt(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE).unwrap(),
            1
        );
        assert_eq!(
            get_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE).unwrap(),
            300
        );
        assert_eq!(
            get_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL).unwrap(),
            100
        );
        assert_eq!(
            get_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT).unwrap(),
            3
        );
        // A short interval still probes at least once a second.
        set_keepalive(fd, 2).unwrap();
        assert_eq!(
            get_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL).unwrap(),
            1
        );
        // Beyond what the kernel takes: an error, not a panic.
        assert!(set_keepalive(fd, 1 << 40).is_err());
    }

    #[test]
    fn listen_uses_the_backlog_and_reuseaddr() {
        let listener = listen("127.0.0.1:0".parse().unwrap(), 7).unwrap();
        let fd = listener.as_raw_fd();
        assert_eq!(
            get_int_opt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR).unwrap(),
            1
        );
        assert_eq!(
            get_int_opt(fd, libc::SOL_SOCKET, libc::SO_ACCEPTCONN).unwrap(),
            1
        );
        // (The backlog itself shows as the listener's Send-Q in `ss -ltn`: see
        // tests/connections.rs.) The port is taken while it listens; IPv6 is IPv6-only.
        let port = listener.local_addr().unwrap().port();
        assert!(listen(SocketAddr::new("127.0.0.1".parse().unwrap(), port), 7).is_err());
        if let Ok(v6) = listen(SocketAddr::new("::1".parse().unwrap(), port), 7) {
            let fd6 = v6.as_raw_fd();
            assert_eq!(
                get_int_opt(fd6, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY).unwrap(),
                1
            );
        }
    }
}
