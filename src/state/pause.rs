//! CLIENT PAUSE: the server-wide pause and the clients it holds, as Redis 7.0's
//! `pauseClients` / `unpauseClients` / `blockPostponeClient` (networking.c).
//!
//! While a pause is in force, a client whose next command is paused (every command under
//! `ALL`; under `WRITE` the write and may-replicate commands, and EXEC of a transaction that
//! queued one) is *held*: the command stays unparsed in its input buffer, the client runs
//! nothing more, and its later input waits behind it. Nothing is refused. When the pause ends
//! (its deadline passes, or CLIENT UNPAUSE) the held clients resume in the order they were
//! held. Active and lazy expiry and eviction leave the dataset alone meanwhile, so it stays
//! static from every point of view (Redis's `checkClientPauseTimeoutAndReturnIfPaused`).
//!
//! The reactor owns the timing: it wakes up when the deadline passes, ends the pause, and
//! resumes the held clients before it reads anything new (`net/mod.rs`).

use std::collections::VecDeque;

/// What a pause holds, in increasing strictness (Redis's `pause_type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum PauseKind {
    #[default]
    Off,
    /// Write commands and commands that may replicate (PUBLISH, PFCOUNT, EVAL …).
    Write,
    /// Every command.
    All,
}

/// The server's pause and the clients it holds.
#[derive(Debug, Default)]
pub struct Pause {
    kind: PauseKind,
    /// Unix ms after which the pause ends (Redis compares `end < now`).
    end_ms: i64,
    /// Held clients in the order they were held: (slab key, client id). The id guards
    /// against a slot reused by a new connection after the held one closed.
    held: VecDeque<(usize, u64)>,
    /// Clients released by the end of the pause, for the reactor to resume in order.
    released: Vec<(usize, u64)>,
}

impl Pause {
    /// The pause in force (`Off` when none).
    pub fn kind(&self) -> PauseKind {
        self.kind
    }

    /// True while any pause is in force: expiry and eviction hold still.
    pub fn is_active(&self) -> bool {
        self.kind != PauseKind::Off
    }

    /// Deadline of the pause in force, for the reactor's poll timeout.
    pub fn deadline(&self) -> Option<i64> {
        self.is_active().then_some(self.end_ms)
    }

    /// CLIENT PAUSE: as Redis 7.0, the stricter kind and the later deadline of the pause in
    /// force and the new one win, so a shorter or laxer pause never cuts one short.
    pub fn start(&mut self, kind: PauseKind, end_ms: i64) {
        if self.kind == PauseKind::Off {
            self.kind = kind;
            self.end_ms = end_ms;
        } else {
            self.kind = self.kind.max(kind);
            self.end_ms = self.end_ms.max(end_ms);
        }
    }

    /// Ends the pause (CLIENT UNPAUSE, or the deadline passed) and releases every held client.
    pub fn end(&mut self) {
        self.kind = PauseKind::Off;
        self.end_ms = 0;
        self.released.extend(self.held.drain(..));
    }

    /// Ends the pause when its deadline is behind `now_ms`; true when it did.
    pub fn expire(&mut self, now_ms: i64) -> bool {
        if self.is_active() && self.end_ms < now_ms {
            self.end();
            return true;
        }
        false
    }

    /// Holds the client `key` (id `id`) until the pause ends.
    pub fn hold(&mut self, key: usize, id: u64) {
        self.held.push_back((key, id));
    }

    /// Clients held now (INFO counts them with `blocked_clients`, as Redis does).
    pub fn held_count(&self) -> usize {
        self.held.len()
    }

    /// Forgets a held client that disconnected.
    pub fn remove_client(&mut self, key: usize) {
        self.held.retain(|&(k, _)| k != key);
        self.released.retain(|&(k, _)| k != key);
    }

    /// The released clients, in the order they were held.
    pub fn take_released(&mut self) -> Vec<(usize, u64)> {
        std::mem::take(&mut self.released)
    }

    pub fn has_released(&self) -> bool {
        !self.released.is_empty()
    }
}

impl super::Server {
    /// Ends a CLIENT PAUSE whose deadline passed, and queues the clients it held (or that
    /// CLIENT UNPAUSE released) to run their waiting input, in the order they were held. A
    /// slab key now naming another client (its id differs) is skipped.
    pub fn release_paused(&mut self, now_ms: i64) {
        self.pause.expire(now_ms);
        if !self.pause.has_released() {
            return;
        }
        for (key, id) in self.pause.take_released() {
            if let Some(client) = self.clients.get_mut(key) {
                if client.id == id {
                    client.postponed = false;
                    self.ops.push(super::ReactorOp::Resume(key));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stricter_kind_and_later_deadline_win() {
        let mut p = Pause::default();
        p.start(PauseKind::All, 200);
        p.start(PauseKind::Write, 20);
        assert_eq!((p.kind(), p.deadline()), (PauseKind::All, Some(200)));
        p.start(PauseKind::Write, 500);
        assert_eq!((p.kind(), p.deadline()), (PauseKind::All, Some(500)));
    }

    #[test]
    fn held_clients_are_released_in_order() {
        let mut p = Pause::default();
        p.start(PauseKind::Write, 100);
        p.hold(3, 30);
        p.hold(1, 10);
        p.hold(2, 20);
        p.remove_client(1);
        assert!(!p.expire(100), "the deadline itself is still paused");
        assert!(p.expire(101));
        assert!(!p.is_active());
        assert_eq!(p.take_released(), vec![(3, 30), (2, 20)]);
        assert_eq!(p.held_count(), 0);
    }
}
