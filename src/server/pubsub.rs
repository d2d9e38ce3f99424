//! Pub/Sub: who is subscribed to which channels and patterns, and the messages on their way.
//!
//! PUBLISH runs on the publisher's turn, but the messages belong in other connections' output
//! buffers, which the reactor owns. So PUBLISH writes each message once into `outbox` and
//! records which subscribers get which byte range; right after the command the reactor copies
//! the ranges into those connections' output and queues them for writing
//! ([`Pubsub::take_deliveries`]). Messages therefore reach every subscriber in publish order,
//! after whatever replies the subscriber already had pending.

use std::ops::Range;

use hashbrown::HashMap;

use super::state::Server;
use crate::resp::Reply;
use crate::util::glob::glob_match;

/// Subscriptions of the whole server.
#[derive(Default)]
pub struct Pubsub {
    /// Channel → subscribers (slab keys), in subscription order.
    channels: HashMap<Vec<u8>, Vec<usize>>,
    /// Pattern → subscribers, patterns in the order first subscribed.
    patterns: Vec<(Vec<u8>, Vec<usize>)>,
    /// Messages written by PUBLISH and not yet delivered.
    outbox: Reply,
    /// (subscriber, range of `outbox`) to deliver, in order.
    deliveries: Vec<(usize, Range<usize>)>,
}

impl Pubsub {
    /// Channels with at least one subscriber (INFO `pubsub_channels`).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Patterns with at least one subscriber (INFO `pubsub_patterns`, PUBSUB NUMPAT).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Active channels matching `pattern` (all when `None`).
    pub fn channels_matching(&self, pattern: Option<&[u8]>) -> Vec<&[u8]> {
        self.channels
            .keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c, false)))
            .map(Vec::as_slice)
            .collect()
    }

    /// Subscribers of `channel` (not counting patterns).
    pub fn subscriber_count(&self, channel: &[u8]) -> usize {
        self.channels.get(channel).map_or(0, Vec::len)
    }

    pub fn has_deliveries(&self) -> bool {
        !self.deliveries.is_empty()
    }

    /// Drops the messages pending for `client`, which is going away.
    pub fn forget_deliveries(&mut self, client: usize) {
        self.deliveries.retain(|&(k, _)| k != client);
        if self.deliveries.is_empty() {
            self.outbox.buf.clear();
        }
    }

    /// Moves the messages pending for `client` into `out`: a subscriber publishing to itself
    /// (inside EXEC) gets them in place, before PUBLISH's own reply, as Redis writes them.
    pub fn deliver_to_self(&mut self, client: usize, out: &mut Reply) {
        let outbox = &self.outbox;
        self.deliveries.retain(|(k, range)| {
            if *k != client {
                return true;
            }
            if let Some(bytes) = outbox.buf.get(range.clone()) {
                out.raw(bytes);
            }
            false
        });
        if self.deliveries.is_empty() {
            // Nothing else refers to the outbox: do not let it grow until someone else gets mail.
            self.outbox.buf.clear();
        }
    }

    /// The pending messages and who gets which part of them; the outbox is emptied.
    pub fn take_deliveries(&mut self) -> (Reply, Vec<(usize, Range<usize>)>) {
        (
            std::mem::take(&mut self.outbox),
            std::mem::take(&mut self.deliveries),
        )
    }
}

/// Redis's subscribe/unsubscribe confirmation: `[kind, name or nil, subscriptions left]`.
pub fn confirmation(out: &mut Reply, kind: &str, name: Option<&[u8]>, count: usize) {
    out.array(3);
    out.bulk(kind.as_bytes());
    match name {
        Some(n) => out.bulk(n),
        None => out.null(),
    }
    out.int(count as i64);
}

impl Server {
    /// Subscriptions `client` holds (channels and patterns), as the confirmations count them.
    pub fn subscriptions(&self, client: usize) -> usize {
        self.clients
            .get(client)
            .map_or(0, |c| c.channels.len() + c.patterns.len())
    }

    /// Subscribes `client` to `channel`; false when it already was.
    pub fn subscribe(&mut self, client: usize, channel: &[u8]) -> bool {
        let c = &mut self.clients[client];
        if !c.channels.insert(channel.to_vec()) {
            return false;
        }
        self.pubsub
            .channels
            .entry(channel.to_vec())
            .or_default()
            .push(client);
        true
    }

    /// Unsubscribes `client` from `channel`; false when it was not subscribed.
    pub fn unsubscribe(&mut self, client: usize, channel: &[u8]) -> bool {
        let c = &mut self.clients[client];
        if !c.channels.remove(channel) {
            return false;
        }
        if let Some(list) = self.pubsub.channels.get_mut(channel) {
            list.retain(|&k| k != client);
            if list.is_empty() {
                self.pubsub.channels.remove(channel);
            }
        }
        true
    }

    /// Subscribes `client` to `pattern`; false when it already was.
    pub fn psubscribe(&mut self, client: usize, pattern: &[u8]) -> bool {
        let c = &mut self.clients[client];
        if c.patterns.iter().any(|p| p == pattern) {
            return false;
        }
        c.patterns.push(pattern.to_vec());
        match self.pubsub.patterns.iter_mut().find(|(p, _)| p == pattern) {
            Some((_, list)) => list.push(client),
            None => self.pubsub.patterns.push((pattern.to_vec(), vec![client])),
        }
        true
    }

    /// Unsubscribes `client` from `pattern`; false when it was not subscribed.
    pub fn punsubscribe(&mut self, client: usize, pattern: &[u8]) -> bool {
        let c = &mut self.clients[client];
        let Some(i) = c.patterns.iter().position(|p| p == pattern) else {
            return false;
        };
        c.patterns.remove(i);
        if let Some(at) = self.pubsub.patterns.iter().position(|(p, _)| p == pattern) {
            let list = &mut self.pubsub.patterns[at].1;
            list.retain(|&k| k != client);
            if list.is_empty() {
                self.pubsub.patterns.remove(at);
            }
        }
        true
    }

    /// Drops every subscription of `client` without replying (RESET, disconnection).
    pub fn unsubscribe_all(&mut self, client: usize) {
        let Some(c) = self.clients.get(client) else {
            return;
        };
        let channels: Vec<Vec<u8>> = c.channels.iter().cloned().collect();
        for ch in channels {
            self.unsubscribe(client, &ch);
        }
        self.punsubscribe_all(client);
    }

    /// Drops every pattern of `client` in one pass over the server's patterns (one
    /// `punsubscribe` each would be quadratic in the client's patterns); returns them in
    /// subscription order.
    pub fn punsubscribe_all(&mut self, client: usize) -> Vec<Vec<u8>> {
        let Some(c) = self.clients.get_mut(client) else {
            return Vec::new();
        };
        let patterns = std::mem::take(&mut c.patterns);
        if !patterns.is_empty() {
            let mine: hashbrown::HashSet<&[u8]> = patterns.iter().map(Vec::as_slice).collect();
            self.pubsub.patterns.retain_mut(|(p, list)| {
                if mine.contains(p.as_slice()) {
                    list.retain(|&k| k != client);
                }
                !list.is_empty()
            });
        }
        patterns
    }

    /// PUBLISH: queues `message` for every subscriber of `channel` and of a matching pattern;
    /// returns how many receptions that makes.
    pub fn publish(&mut self, channel: &[u8], message: &[u8]) -> usize {
        let pubsub = &mut self.pubsub;
        let mut receivers = 0;
        if let Some(subscribers) = pubsub.channels.get(channel) {
            let start = pubsub.outbox.len();
            pubsub.outbox.array(3);
            pubsub.outbox.bulk(b"message");
            pubsub.outbox.bulk(channel);
            pubsub.outbox.bulk(message);
            let range = start..pubsub.outbox.len();
            for &client in subscribers {
                pubsub.deliveries.push((client, range.clone()));
                receivers += 1;
            }
        }
        for (pattern, subscribers) in &pubsub.patterns {
            if !glob_match(pattern, channel, false) {
                continue;
            }
            let start = pubsub.outbox.len();
            pubsub.outbox.array(4);
            pubsub.outbox.bulk(b"pmessage");
            pubsub.outbox.bulk(pattern);
            pubsub.outbox.bulk(channel);
            pubsub.outbox.bulk(message);
            let range = start..pubsub.outbox.len();
            for &client in subscribers {
                pubsub.deliveries.push((client, range.clone()));
                receivers += 1;
            }
        }
        receivers
    }
}
