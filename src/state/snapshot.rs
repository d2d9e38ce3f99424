//! Snapshots on disk: the foreground save (SAVE, SHUTDOWN, FLUSHALL, DEBUG RELOAD), the
//! forked background save (BGSAVE and save points) and loading at start-up.
//!
//! Every save writes `temp-<pid>.rdb` in the working directory (which is `dir`), fsyncs it and
//! renames it over `dbfilename`, so a failed or interrupted save never replaces the last good
//! file. A background save runs in a forked child that only serialises, writes and `_exit`s:
//! it takes no lock another thread may hold (no logging), since only the forking thread exists
//! in the child. A reaper thread waits for the child and hands its exit status to the reactor
//! through a channel and the reactor's `Waker`.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::Instant;

use super::{unix_ms, Server};
use crate::alloc;
use crate::config::Config;
use crate::store::Db;

/// Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed background save, save points wait this
/// many seconds before trying again.
const BGSAVE_RETRY_DELAY_SECS: i64 = 5;

/// Write buffer of the snapshot file: large enough that the syscalls disappear in the profile.
const WRITE_BUFFER: usize = 1 << 20;

/// A background save in progress.
#[derive(Debug)]
pub struct RunningChild {
    pub pid: i32,
    pub started: Instant,
}

/// What the reaper thread learned about a finished child.
#[derive(Debug)]
struct ChildDone {
    pid: i32,
    /// Raw `waitpid` status.
    status: i32,
    /// Private dirty bytes of the child at the end of its save (copy-on-write cost).
    cow_bytes: u64,
}

/// Persistence state: the running child, the last results, and what INFO persistence reports.
pub struct Persistence {
    pub child: Option<RunningChild>,
    /// `BGSAVE SCHEDULE` arrived while a child ran: start one when it is done.
    pub scheduled: bool,
    pub last_bgsave_ok: bool,
    /// Duration of the last background save, -1 before the first.
    pub last_bgsave_secs: i64,
    pub last_bgsave_try_unix: i64,
    /// `dirty` when the running child forked: what a successful save accounts for.
    pub dirty_before_bgsave: u64,
    pub saves: u64,
    pub last_cow_bytes: u64,
    pub last_fork_usec: u64,
    pub total_forks: u64,
    pub last_load_keys: u64,
    pub last_load_expired: u64,
    done_tx: Sender<ChildDone>,
    done_rx: Receiver<ChildDone>,
    /// Wakes the reactor when the reaper thread has news.
    pub waker: Option<Arc<mio::Waker>>,
}

impl Default for Persistence {
    fn default() -> Persistence {
        let (done_tx, done_rx) = channel();
        Persistence {
            child: None,
            scheduled: false,
            last_bgsave_ok: true,
            last_bgsave_secs: -1,
            last_bgsave_try_unix: 0,
            dirty_before_bgsave: 0,
            saves: 0,
            last_cow_bytes: 0,
            last_fork_usec: 0,
            total_forks: 0,
            last_load_keys: 0,
            last_load_expired: 0,
            done_tx,
            done_rx,
            waker: None,
        }
    }
}

impl Persistence {
    /// Whether writes must answer `-MISCONF` (Redis's writeCommandsDeniedByDiskError).
    pub fn writes_denied(&self, config: &Config) -> bool {
        !self.last_bgsave_ok && config.stop_writes_on_bgsave_error && !config.save.is_empty()
    }
}

/// The `-MISCONF` error text.
pub const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's \
currently unable to persist to disk. Commands that may modify the data set are disabled, \
because this instance is configured to report errors during writes if RDB snapshotting fails \
(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB \
error.";

fn temp_name(pid: u32) -> String {
    format!("temp-{pid}.rdb")
}

/// Writes the whole keyspace to `temp-<pid>.rdb`, fsyncs it and renames it over `target`.
/// On failure the temporary file is removed and `target` is untouched.
fn write_snapshot_file(srv: &Server, target: &str) -> io::Result<()> {
    let temp = temp_name(std::process::id());
    let result = (|| {
        let file = File::create(&temp).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("Failed opening the temp RDB file {temp} for saving: {e}"),
            )
        })?;
        let mut out = BufWriter::with_capacity(WRITE_BUFFER, file);
        let info = crate::persist::SaveInfo {
            ctime_unix: unix_ms() / 1000,
            used_mem: alloc::allocated() as u64,
        };
        crate::persist::write_rdb_clocked(&mut out, &srv.dbs, &srv.config, &info, srv.lru_now)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, target).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("Error moving temp DB file {temp} on the final destination {target}: {e}"),
            )
        })?;
        // Make the rename itself durable.
        if let Ok(dir) = File::open(".") {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// The foreground save of SAVE, SHUTDOWN, FLUSHALL and DEBUG RELOAD: serialise in the reactor
/// thread. (Only SAVE and BGSAVE count in INFO's `rdb_saves`, as in Redis.)
pub fn save(srv: &mut Server) -> io::Result<()> {
    let target = srv.config.dbfilename.clone();
    match write_snapshot_file(srv, &target) {
        Ok(()) => {
            log::info!("DB saved on disk");
            srv.dirty = 0;
            srv.last_save_unix = unix_ms() / 1000;
            srv.persist.last_bgsave_ok = true;
            Ok(())
        }
        Err(e) => {
            log::warn!("Write error saving DB on disk: {e}");
            Err(e)
        }
    }
}

/// Why a background save did not start.
#[derive(Debug, PartialEq, Eq)]
pub enum BgsaveError {
    AlreadyRunning,
    ForkFailed,
}

/// BGSAVE: fork a child that writes the snapshot while the reactor keeps serving.
pub fn bgsave(srv: &mut Server) -> Result<(), BgsaveError> {
    if srv.persist.child.is_some() {
        return Err(BgsaveError::AlreadyRunning);
    }
    srv.persist.dirty_before_bgsave = srv.dirty;
    srv.persist.last_bgsave_try_unix = unix_ms() / 1000;
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 fills the two descriptors on success.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        log::warn!(
            "Can't save in background: pipe: {}",
            io::Error::last_os_error()
        );
        srv.persist.last_bgsave_ok = false;
        return Err(BgsaveError::ForkFailed);
    }
    // SAFETY: both descriptors were just created and are owned here only.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let fork_started = Instant::now();
    // SAFETY: the child only serialises memory it inherited, writes files and `_exit`s; it
    // takes no lock that another thread of this process could hold at the time of the fork.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        drop(read_end);
        run_child(srv, write_end);
    }
    drop(write_end);
    if pid < 0 {
        log::warn!(
            "Can't save in background: fork: {}",
            io::Error::last_os_error()
        );
        srv.persist.last_bgsave_ok = false;
        return Err(BgsaveError::ForkFailed);
    }
    srv.persist.last_fork_usec = fork_started.elapsed().as_micros() as u64;
    srv.persist.total_forks += 1;
    log::info!("Background saving started by pid {pid}");
    srv.persist.child = Some(RunningChild {
        pid,
        started: Instant::now(),
    });
    let tx = srv.persist.done_tx.clone();
    let waker = srv.persist.waker.clone();
    let spawned = std::thread::Builder::new()
        .name("bgsave-reaper".into())
        .spawn(move || {
            let status = wait_for(pid);
            let mut report = [0u8; 8];
            let mut pipe = File::from(read_end);
            let cow_bytes = match pipe.read_exact(&mut report) {
                Ok(()) => u64::from_le_bytes(report),
                Err(_) => 0,
            };
            let _ = tx.send(ChildDone {
                pid,
                status,
                cow_bytes,
            });
            if let Some(w) = waker {
                let _ = w.wake();
            }
        });
    if let Err(e) = spawned {
        // Without a reaper the child would be a zombie forever: wait for it here.
        log::warn!("cannot start the BGSAVE reaper thread: {e}");
        let status = wait_for(pid);
        finish_child(
            srv,
            ChildDone {
                pid,
                status,
                cow_bytes: 0,
            },
        );
    }
    Ok(())
}

/// The forked child: save, report the copy-on-write cost, exit. Never returns.
fn run_child(srv: &Server, report: OwnedFd) -> ! {
    // SAFETY: restoring default dispositions is async-signal-safe; SIGTERM/SIGINT handlers
    // inherited from the parent would only poke a signal thread that does not exist here.
    unsafe {
        libc::signal(libc::SIGTERM, libc::SIG_DFL);
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
    let target = srv.config.dbfilename.clone();
    let code = match write_snapshot_file(srv, &target) {
        Ok(()) => 0,
        Err(_) => 1,
    };
    let cow = private_dirty_bytes().unwrap_or(0);
    let mut pipe = File::from(report);
    let _ = pipe.write_all(&cow.to_le_bytes());
    drop(pipe);
    // SAFETY: `_exit` skips atexit handlers and destructors, which belong to the parent.
    unsafe { libc::_exit(code) }
}

/// Bytes this process has written to since the fork (what copy-on-write duplicated).
fn private_dirty_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup").ok()?;
    let line = text.lines().find(|l| l.starts_with("Private_Dirty:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

fn wait_for(pid: i32) -> i32 {
    let mut status = 0;
    loop {
        // SAFETY: waits for our own child; status is a valid out pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == -1 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return status;
    }
}

/// Called by the reactor every loop turn while a child runs: records a finished child.
pub fn check_child(srv: &mut Server) {
    if srv.persist.child.is_none() {
        return;
    }
    while let Ok(done) = srv.persist.done_rx.try_recv() {
        finish_child(srv, done);
    }
}

fn finish_child(srv: &mut Server, done: ChildDone) {
    let Some(child) = srv.persist.child.take_if(|c| c.pid == done.pid) else {
        return;
    };
    let status = done.status;
    srv.persist.last_bgsave_secs = child.started.elapsed().as_secs() as i64;
    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        log::info!("Background saving terminated with success");
        srv.dirty = srv.dirty.saturating_sub(srv.persist.dirty_before_bgsave);
        srv.last_save_unix = unix_ms() / 1000;
        srv.persist.last_bgsave_ok = true;
        srv.persist.saves += 1;
        srv.persist.last_cow_bytes = done.cow_bytes;
    } else if libc::WIFEXITED(status) {
        log::warn!("Background saving error");
        srv.persist.last_bgsave_ok = false;
    } else {
        let sig = if libc::WIFSIGNALED(status) {
            libc::WTERMSIG(status)
        } else {
            0
        };
        log::warn!("Background saving terminated by signal {sig}");
        let _ = std::fs::remove_file(temp_name(done.pid as u32));
        // SIGUSR1 is how ferrodis itself stops a child (FLUSHALL, SHUTDOWN): not a failure.
        if sig != libc::SIGUSR1 {
            srv.persist.last_bgsave_ok = false;
        }
    }
}

/// Stops a running background save (FLUSHALL, SHUTDOWN), removing its temporary file.
pub fn kill_child(srv: &mut Server) {
    if let Some(child) = &srv.persist.child {
        // SAFETY: signals our own child process.
        unsafe {
            libc::kill(child.pid, libc::SIGUSR1);
        }
        let _ = std::fs::remove_file(temp_name(child.pid as u32));
    }
}

/// Blocks until the running child (if any) has been reaped: SHUTDOWN must not exit while it
/// still writes.
pub fn wait_child(srv: &mut Server) {
    while srv.persist.child.is_some() {
        match srv.persist.done_rx.recv() {
            Ok(done) => finish_child(srv, done),
            Err(_) => {
                srv.persist.child = None;
            }
        }
    }
}

/// Cron: start a background save when a save point is reached, or a scheduled one is due.
/// (The reactor reaps finished children every loop turn, so `child` is current here.)
pub fn cron(srv: &mut Server) {
    if srv.persist.child.is_some() {
        return;
    }
    let now = unix_ms() / 1000;
    let retry_ok = now - srv.persist.last_bgsave_try_unix > BGSAVE_RETRY_DELAY_SECS
        || srv.persist.last_bgsave_ok;
    if srv.persist.scheduled && retry_ok {
        srv.persist.scheduled = false;
        let _ = bgsave(srv);
        return;
    }
    let due = srv.config.save.iter().copied().find(|&(secs, changes)| {
        srv.dirty >= changes && now - srv.last_save_unix > secs as i64 && retry_ok
    });
    if let Some((secs, changes)) = due {
        log::info!("{changes} changes in {secs} seconds. Saving...");
        let _ = bgsave(srv);
    }
}

/// Loads `dbfilename` from the working directory at start-up, when it exists. A file that
/// cannot be read or decoded stops the start-up: serving without the data would look like
/// data loss.
pub fn load_at_startup(srv: &mut Server) -> Result<(), String> {
    let path = srv.config.dbfilename.clone();
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(format!(
                "Fatal error loading the DB ({path}): {e}. Exiting."
            ))
        }
    };
    let started = Instant::now();
    let loaded = load_file(srv, file)
        .map_err(|e| format!("Fatal error loading the DB: {e} (file {path}). Exiting."))?;
    log::info!(
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        loaded.keys,
        loaded.expired_skipped
    );
    log::info!(
        "DB loaded from disk: {:.3} seconds",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn load_file(
    srv: &mut Server,
    file: File,
) -> Result<crate::persist::Loaded, crate::persist::LoadError> {
    let input = BufReader::with_capacity(WRITE_BUFFER, file);
    // Loaded keys are not `new` keys (Redis's rdbLoad adds them without notifying), also when
    // DEBUG RELOAD runs while the store logs creations.
    srv.log_new_keys(false);
    let loaded =
        crate::persist::read_rdb(input, &mut srv.dbs, &srv.config, unix_ms(), srv.lru_now)?;
    srv.persist.last_load_keys = loaded.keys;
    srv.persist.last_load_expired = loaded.expired_skipped;
    Ok(loaded)
}

/// DEBUG RELOAD: save, empty the keyspace, load the file again.
pub fn reload(srv: &mut Server, save_first: bool, flush: bool) -> Result<(), String> {
    if save_first {
        save(srv).map_err(|_| "ERR".to_string())?;
    }
    let path = srv.config.dbfilename.clone();
    let file = File::open(&path)
        .map_err(|_| "ERR Error trying to load the RDB dump, check server logs.".to_string())?;
    if flush {
        // Emptying the dataset spoils WATCHes on its keys, as Redis's emptyData does.
        let now = unix_ms();
        for idx in 0..srv.dbs.len() {
            srv.touch_all_in_db(idx, None, now);
        }
        for db in srv.dbs.iter_mut() {
            *db = Db::new();
        }
    }
    load_file(srv, file).map_err(|e| {
        log::warn!("Error loading {path}: {e}");
        "ERR Error trying to load the RDB dump, check server logs.".to_string()
    })?;
    Ok(())
}

/// What SHUTDOWN (or a signal) asked for about the final snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinalSave {
    /// Save when save points are configured.
    Default,
    Save,
    NoSave,
}

/// The final save failed, so the server keeps running (the cause is in the log).
#[derive(Debug)]
pub struct ShutdownRefused;

/// Redis's prepareForShutdown: stop a running child, write the final snapshot when asked.
/// A failed save keeps the server running unless `force`.
pub fn prepare_shutdown(
    srv: &mut Server,
    mode: FinalSave,
    force: bool,
) -> Result<(), ShutdownRefused> {
    if srv.persist.child.is_some() {
        log::warn!("There is a child saving an .rdb. Killing it!");
        kill_child(srv);
        wait_child(srv);
    }
    let wanted = match mode {
        FinalSave::Save => true,
        FinalSave::NoSave => false,
        FinalSave::Default => !srv.config.save.is_empty(),
    };
    if wanted {
        log::info!("Saving the final RDB snapshot before exiting.");
        if save(srv).is_err() && !force {
            log::warn!("Error trying to save the DB, can't exit.");
            return Err(ShutdownRefused);
        }
    }
    Ok(())
}
