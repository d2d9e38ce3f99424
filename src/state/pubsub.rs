//! Pub/Sub: who is subscribed to which channels, patterns and shard channels, and the
//! out-of-band frames (messages, invalidations) on their way to clients.
//!
//! PUBLISH runs on the publisher's turn, but the messages belong in other connections' output
//! buffers, which the reactor owns. So PUBLISH renders each message once per protocol that
//! receives it (`*3` for RESP2 subscribers, `>3` for RESP3 ones) into the outbox and records
//! which client gets which byte range; right after the command the reactor copies the ranges
//! into those connections' output and queues them for writing
//! ([`Pubsub::deliver_pending`]). Messages therefore reach every subscriber in publish order,
//! after whatever replies the subscriber already had pending. A publisher subscribed to its own
//! channel gets the message in place, before PUBLISH's reply, as Redis writes it.
//!
//! Other modules deliver their own out-of-band frames through the same outbox with
//! [`Server::push_to`].
//!
//! Sharded channels (SSUBSCRIBE, SPUBLISH) follow Redis 7.0 standalone: a registry of their
//! own, counted apart from channels and patterns in the confirmations.

use std::ops::Range;

use hashbrown::{HashMap, HashSet};
use slab::Slab;

use super::{Client, Server};
use crate::resp::Reply;
use crate::util::glob::glob_match;

/// Outbox capacity kept between deliveries; a burst of large messages gives the rest back.
const OUTBOX_KEEP_BYTES: usize = 1024 * 1024;

/// Subscriptions of the whole server.
pub struct Pubsub {
    /// Channel → subscribers (slab keys), in subscription order.
    channels: HashMap<Vec<u8>, Vec<usize>>,
    /// Pattern → subscribers, patterns in the order first subscribed.
    patterns: Vec<(Vec<u8>, Vec<usize>)>,
    /// Pattern → its position in `patterns`, so that subscribing is not a scan of every
    /// pattern of the server (only the rare removal of a pattern renumbers them).
    pattern_at: HashMap<Vec<u8>, usize>,
    /// Shard channel → subscribers, in subscription order.
    shard_channels: HashMap<Vec<u8>, Vec<usize>>,
    outbox: Outbox,
}

/// Frames queued for clients and not yet copied into their output.
struct Outbox {
    /// Rendered frames, one buffer per protocol: `[RESP2, RESP3]`.
    frames: [Reply; 2],
    /// Who gets which rendered frame, in queue order.
    deliveries: Vec<Delivery>,
}

struct Delivery {
    client: usize,
    /// Index into `Outbox::frames` (1 for RESP3).
    proto: usize,
    range: Range<usize>,
}

/// One frame on its way to any number of clients: rendered at most once per protocol, on the
/// first receiver that speaks it.
struct Frame<F: Fn(&mut Reply)> {
    render: F,
    rendered: [Option<Range<usize>>; 2],
}

impl<F: Fn(&mut Reply)> Frame<F> {
    fn new(render: F) -> Self {
        Frame {
            render,
            rendered: [None, None],
        }
    }
}

impl Outbox {
    /// The bytes of `frame` in protocol `proto`, rendering it on first use.
    fn rendered<F: Fn(&mut Reply)>(&mut self, frame: &mut Frame<F>, proto: usize) -> Range<usize> {
        if let Some(range) = &frame.rendered[proto] {
            return range.clone();
        }
        let out = &mut self.frames[proto];
        let start = out.len();
        (frame.render)(out);
        let range = start..out.len();
        frame.rendered[proto] = Some(range.clone());
        range
    }

    /// Queues `frame` for `client`, which speaks protocol index `proto`.
    fn queue<F: Fn(&mut Reply)>(&mut self, client: usize, proto: usize, frame: &mut Frame<F>) {
        let range = self.rendered(frame, proto);
        self.deliveries.push(Delivery {
            client,
            proto,
            range,
        });
    }
}

impl Default for Pubsub {
    fn default() -> Self {
        Pubsub {
            channels: HashMap::new(),
            patterns: Vec::new(),
            pattern_at: HashMap::new(),
            shard_channels: HashMap::new(),
            outbox: Outbox {
                frames: [Reply::with_protocol(2), Reply::with_protocol(3)],
                deliveries: Vec::new(),
            },
        }
    }
}

/// Index of a client's protocol in `Outbox::frames`.
fn proto_index(client: &Client) -> usize {
    usize::from(client.resp == 3)
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

    /// Shard channels with at least one subscriber (INFO `pubsubshard_channels`).
    pub fn shard_channel_count(&self) -> usize {
        self.shard_channels.len()
    }

    /// Active channels matching `pattern` (all when `None`).
    pub fn channels_matching(&self, pattern: Option<&[u8]>) -> Vec<&[u8]> {
        matching(&self.channels, pattern)
    }

    /// Active shard channels matching `pattern` (all when `None`).
    pub fn shard_channels_matching(&self, pattern: Option<&[u8]>) -> Vec<&[u8]> {
        matching(&self.shard_channels, pattern)
    }

    /// Subscribers of `channel` (not counting patterns).
    pub fn subscriber_count(&self, channel: &[u8]) -> usize {
        self.channels.get(channel).map_or(0, Vec::len)
    }

    /// Subscribers of shard channel `channel`.
    pub fn shard_subscriber_count(&self, channel: &[u8]) -> usize {
        self.shard_channels.get(channel).map_or(0, Vec::len)
    }

    pub fn has_deliveries(&self) -> bool {
        !self.outbox.deliveries.is_empty()
    }

    /// Drops the frames pending for `client`, which is going away (its slab key may go to the
    /// next connection, which must not inherit them).
    pub fn forget_deliveries(&mut self, client: usize) {
        self.outbox.deliveries.retain(|d| d.client != client);
        if self.outbox.deliveries.is_empty() {
            self.clear_outbox();
        }
    }

    /// Hands every pending frame, in queue order, to `deliver(client, bytes)` (the bytes are in
    /// that client's protocol), then empties the outbox. Called by the reactor after each
    /// command and before it writes its connections' output.
    pub fn deliver_pending(&mut self, mut deliver: impl FnMut(usize, &[u8])) {
        let outbox = &mut self.outbox;
        for d in outbox.deliveries.drain(..) {
            if let Some(bytes) = outbox.frames[d.proto].buf.get(d.range) {
                deliver(d.client, bytes);
            }
        }
        self.clear_outbox();
    }

    /// Corrects `pattern_at` from position `from` on, after patterns were removed (and taken
    /// out of `pattern_at`): O(patterns), as the removal itself is.
    fn renumber_patterns(&mut self, from: usize) {
        for (at, (pattern, _)) in self.patterns.iter().enumerate().skip(from) {
            if let Some(slot) = self.pattern_at.get_mut(pattern.as_slice()) {
                *slot = at;
            }
        }
    }

    fn clear_outbox(&mut self) {
        for frames in &mut self.outbox.frames {
            frames.buf.clear();
            if frames.buf.capacity() > OUTBOX_KEEP_BYTES {
                frames.buf.shrink_to(OUTBOX_KEEP_BYTES);
            }
        }
    }
}

fn matching<'a>(
    registry: &'a HashMap<Vec<u8>, Vec<usize>>,
    pattern: Option<&[u8]>,
) -> Vec<&'a [u8]> {
    registry
        .keys()
        .filter(|c| pattern.is_none_or(|p| glob_match(p, c, false)))
        .map(Vec::as_slice)
        .collect()
}

/// Redis's subscribe/unsubscribe confirmation, a push frame:
/// `[kind, name or nil, subscriptions left]`.
pub fn confirmation(out: &mut Reply, kind: &str, name: Option<&[u8]>, count: usize) {
    out.push(3);
    out.bulk(kind.as_bytes());
    match name {
        Some(n) => out.bulk(n),
        None => out.null(),
    }
    out.int(count as i64);
}

/// Adds `client` to `name` in a channel registry; false when it already was subscribed.
fn add(
    mine: &mut HashSet<Vec<u8>>,
    registry: &mut HashMap<Vec<u8>, Vec<usize>>,
    client: usize,
    name: &[u8],
) -> bool {
    if !mine.insert(name.to_vec()) {
        return false;
    }
    registry.entry(name.to_vec()).or_default().push(client);
    true
}

/// Removes `client` from `name` in a channel registry; false when it was not subscribed.
fn remove(
    mine: &mut HashSet<Vec<u8>>,
    registry: &mut HashMap<Vec<u8>, Vec<usize>>,
    client: usize,
    name: &[u8],
) -> bool {
    if !mine.remove(name) {
        return false;
    }
    if let Some(list) = registry.get_mut(name) {
        list.retain(|&k| k != client);
        if list.is_empty() {
            registry.remove(name);
        }
    }
    true
}

/// Sends `frame` to each of `subscribers`; the publisher itself (when subscribed) gets it in
/// `out` at once. Returns how many clients that makes.
fn send_to<F: Fn(&mut Reply)>(
    outbox: &mut Outbox,
    clients: &Slab<Client>,
    subscribers: &[usize],
    publisher: usize,
    out: &mut Reply,
    frame: &mut Frame<F>,
) -> usize {
    for &client in subscribers {
        if client == publisher {
            let proto = usize::from(out.is_resp3());
            let range = outbox.rendered(frame, proto);
            out.raw(&outbox.frames[proto].buf[range]);
        } else if let Some(c) = clients.get(client) {
            outbox.queue(client, proto_index(c), frame);
        }
    }
    subscribers.len()
}

impl Server {
    /// Delivers an out-of-band frame to the client at slab key `client`: the single entry
    /// point for anything that is not the reply to the client's own command (client-side
    /// caching invalidations, for one).
    ///
    /// `render` writes the frame into a [`Reply`] already in the client's protocol; open it
    /// with [`Reply::push`] (`>n` in RESP3, `*n` in RESP2). Where the frame's content differs
    /// between protocols, `render` may ask [`Reply::is_resp3`]: a tracking invalidation is
    /// `push(2) "invalidate" [keys]` in RESP3, and for a RESP2 REDIRECT client subscribed to
    /// `__redis__:invalidate` it is `push(3) "message" "__redis__:invalidate" [keys]`.
    ///
    /// The frame is queued with the PUBLISH messages, in order, and the reactor copies it into
    /// the client's output right after the command being run, after that command's whole
    /// reply (after EXEC's reply inside a transaction), or at the end of the loop turn when it
    /// was queued outside a command (cron, blocked clients). That is where Redis 7.0 puts a
    /// client's own invalidations. A client that is gone gets nothing; one whose output then
    /// passes its class's `client-output-buffer-limit` is disconnected (see `limits.rs`).
    pub fn push_to(&mut self, client: usize, render: impl Fn(&mut Reply)) {
        let Some(c) = self.clients.get(client) else {
            return;
        };
        let proto = proto_index(c);
        self.pubsub
            .outbox
            .queue(client, proto, &mut Frame::new(render));
    }

    /// Delivers one frame to every client in MONITOR mode ([`Server::monitors`]), rendered
    /// once per protocol and queued as [`Server::push_to`] queues; a monitor closing after its
    /// reply (QUIT) is skipped.
    pub fn push_to_monitors(&mut self, render: impl Fn(&mut Reply)) {
        let mut frame = Frame::new(render);
        for &m in &self.monitors {
            // A client about to close (QUIT) gets nothing more, as in Redis.
            if let Some(c) = self.clients.get(m).filter(|c| !c.close_after_reply) {
                self.pubsub.outbox.queue(m, proto_index(c), &mut frame);
            }
        }
    }

    /// Subscriptions `client` holds (channels and patterns), as the confirmations count them.
    pub fn subscriptions(&self, client: usize) -> usize {
        self.clients
            .get(client)
            .map_or(0, |c| c.channels.len() + c.patterns.len())
    }

    /// Shard channels `client` is subscribed to, as the shard confirmations count them.
    pub fn shard_subscriptions(&self, client: usize) -> usize {
        self.clients
            .get(client)
            .map_or(0, |c| c.shard_channels.len())
    }

    /// Subscribes `client` to `channel`; false when it already was.
    pub fn subscribe(&mut self, client: usize, channel: &[u8]) -> bool {
        let c = &mut self.clients[client];
        add(&mut c.channels, &mut self.pubsub.channels, client, channel)
    }

    /// Unsubscribes `client` from `channel`; false when it was not subscribed.
    pub fn unsubscribe(&mut self, client: usize, channel: &[u8]) -> bool {
        let c = &mut self.clients[client];
        remove(&mut c.channels, &mut self.pubsub.channels, client, channel)
    }

    /// Subscribes `client` to shard channel `channel`; false when it already was.
    pub fn ssubscribe(&mut self, client: usize, channel: &[u8]) -> bool {
        let c = &mut self.clients[client];
        add(
            &mut c.shard_channels,
            &mut self.pubsub.shard_channels,
            client,
            channel,
        )
    }

    /// Unsubscribes `client` from shard channel `channel`; false when it was not subscribed.
    pub fn sunsubscribe(&mut self, client: usize, channel: &[u8]) -> bool {
        let c = &mut self.clients[client];
        remove(
            &mut c.shard_channels,
            &mut self.pubsub.shard_channels,
            client,
            channel,
        )
    }

    /// Subscribes `client` to `pattern`; false when it already was.
    pub fn psubscribe(&mut self, client: usize, pattern: &[u8]) -> bool {
        let c = &mut self.clients[client];
        if c.patterns.iter().any(|p| p == pattern) {
            return false;
        }
        c.patterns.push(pattern.to_vec());
        let pubsub = &mut self.pubsub;
        match pubsub.pattern_at.get(pattern) {
            Some(&at) => pubsub.patterns[at].1.push(client),
            None => {
                pubsub
                    .pattern_at
                    .insert(pattern.to_vec(), pubsub.patterns.len());
                pubsub.patterns.push((pattern.to_vec(), vec![client]));
            }
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
        let pubsub = &mut self.pubsub;
        if let Some(&at) = pubsub.pattern_at.get(pattern) {
            let list = &mut pubsub.patterns[at].1;
            list.retain(|&k| k != client);
            if list.is_empty() {
                pubsub.patterns.remove(at);
                pubsub.pattern_at.remove(pattern);
                pubsub.renumber_patterns(at);
            }
        }
        true
    }

    /// Drops every subscription of `client` (channels, patterns, shard channels) without
    /// replying (RESET, disconnection).
    pub fn unsubscribe_all(&mut self, client: usize) {
        let Some(c) = self.clients.get_mut(client) else {
            return;
        };
        let channels = std::mem::take(&mut c.channels);
        let shard_channels = std::mem::take(&mut c.shard_channels);
        for (mine, registry) in [
            (channels, &mut self.pubsub.channels),
            (shard_channels, &mut self.pubsub.shard_channels),
        ] {
            for name in mine {
                if let Some(list) = registry.get_mut(&name) {
                    list.retain(|&k| k != client);
                    if list.is_empty() {
                        registry.remove(&name);
                    }
                }
            }
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
            let mine: HashSet<&[u8]> = patterns.iter().map(Vec::as_slice).collect();
            let pubsub = &mut self.pubsub;
            let before = pubsub.patterns.len();
            let pattern_at = &mut pubsub.pattern_at;
            pubsub.patterns.retain_mut(|(p, list)| {
                if mine.contains(p.as_slice()) {
                    list.retain(|&k| k != client);
                }
                if list.is_empty() {
                    pattern_at.remove(p.as_slice());
                }
                !list.is_empty()
            });
            if pubsub.patterns.len() != before {
                pubsub.renumber_patterns(0);
            }
        }
        patterns
    }

    /// PUBLISH from `publisher`: sends `message` to every subscriber of `channel` and of a
    /// matching pattern (a subscribed publisher gets its own in `out`, before the reply);
    /// returns how many receptions that makes.
    pub fn publish(
        &mut self,
        publisher: usize,
        channel: &[u8],
        message: &[u8],
        out: &mut Reply,
    ) -> usize {
        let Server {
            pubsub, clients, ..
        } = self;
        let mut receivers = 0;
        if let Some(subscribers) = pubsub.channels.get(channel) {
            let mut frame = Frame::new(|r: &mut Reply| {
                r.push(3);
                r.bulk(b"message");
                r.bulk(channel);
                r.bulk(message);
            });
            receivers += send_to(
                &mut pubsub.outbox,
                clients,
                subscribers,
                publisher,
                out,
                &mut frame,
            );
        }
        for (pattern, subscribers) in &pubsub.patterns {
            if !glob_match(pattern, channel, false) {
                continue;
            }
            let mut frame = Frame::new(|r: &mut Reply| {
                r.push(4);
                r.bulk(b"pmessage");
                r.bulk(pattern);
                r.bulk(channel);
                r.bulk(message);
            });
            receivers += send_to(
                &mut pubsub.outbox,
                clients,
                subscribers,
                publisher,
                out,
                &mut frame,
            );
        }
        receivers
    }

    /// SPUBLISH from `publisher`: sends `message` to every subscriber of shard channel
    /// `channel` (patterns do not see shard channels); returns how many that makes.
    pub fn spublish(
        &mut self,
        publisher: usize,
        channel: &[u8],
        message: &[u8],
        out: &mut Reply,
    ) -> usize {
        let Server {
            pubsub, clients, ..
        } = self;
        let Some(subscribers) = pubsub.shard_channels.get(channel) else {
            return 0;
        };
        let mut frame = Frame::new(|r: &mut Reply| {
            r.push(3);
            r.bulk(b"smessage");
            r.bulk(channel);
            r.bulk(message);
        });
        send_to(
            &mut pubsub.outbox,
            clients,
            subscribers,
            publisher,
            out,
            &mut frame,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox() -> Outbox {
        Pubsub::default().outbox
    }

    fn delivered(outbox: &mut Outbox) -> Vec<(usize, String)> {
        let mut pubsub = Pubsub {
            outbox: std::mem::replace(outbox, self::outbox()),
            ..Pubsub::default()
        };
        let mut got = Vec::new();
        pubsub.deliver_pending(|k, bytes| got.push((k, String::from_utf8_lossy(bytes).into())));
        got
    }

    #[test]
    fn a_frame_is_rendered_once_per_protocol_and_shared() {
        let mut outbox = outbox();
        let renders = std::cell::Cell::new(0);
        let mut frame = Frame::new(|r: &mut Reply| {
            renders.set(renders.get() + 1);
            r.push(2);
            r.bulk(b"a");
            r.bulk(b"b");
        });
        outbox.queue(7, 0, &mut frame);
        outbox.queue(8, 1, &mut frame);
        outbox.queue(9, 0, &mut frame);
        outbox.queue(10, 1, &mut frame);
        assert_eq!(renders.get(), 2);
        let two = "*2\r\n$1\r\na\r\n$1\r\nb\r\n".to_string();
        let three = ">2\r\n$1\r\na\r\n$1\r\nb\r\n".to_string();
        assert_eq!(
            delivered(&mut outbox),
            vec![(7, two.clone()), (8, three.clone()), (9, two), (10, three)]
        );
    }

    #[test]
    fn delivery_empties_the_outbox() {
        let mut pubsub = Pubsub::default();
        pubsub
            .outbox
            .queue(1, 1, &mut Frame::new(|r: &mut Reply| r.push(0)));
        assert!(pubsub.has_deliveries());
        let mut n = 0;
        pubsub.deliver_pending(|_, _| n += 1);
        assert_eq!(n, 1);
        assert!(!pubsub.has_deliveries());
        assert!(pubsub.outbox.frames.iter().all(|f| f.is_empty()));
        pubsub.deliver_pending(|_, _| n += 1);
        assert_eq!(n, 1);
    }

    /// A server with one client per protocol in `protos`, as the reactor's `accept` makes
    /// them (keep the fields in step with `Client`).
    fn server_with_clients(protos: &[u8]) -> (Server, Vec<usize>) {
        let mut server = Server::new(crate::config::Config::default(), 0);
        let keys = protos
            .iter()
            .map(|&resp| {
                server.clients.insert(Client {
                    resp,
                    ..Client::new(1, String::new(), String::new(), -1, 0, true)
                })
            })
            .collect();
        (server, keys)
    }

    fn take_all(server: &mut Server) -> Vec<(usize, String)> {
        let mut got = Vec::new();
        server
            .pubsub
            .deliver_pending(|k, bytes| got.push((k, String::from_utf8_lossy(bytes).into())));
        got
    }

    #[test]
    fn push_to_renders_in_the_clients_protocol_and_skips_the_departed() {
        let (mut server, keys) = server_with_clients(&[2, 3]);
        let invalidate = |r: &mut Reply| {
            if r.is_resp3() {
                r.push(2);
                r.bulk(b"invalidate");
            } else {
                r.push(3);
                r.bulk(b"message");
                r.bulk(b"__redis__:invalidate");
            }
            r.array(1);
            r.bulk(b"k");
        };
        server.push_to(keys[0], invalidate);
        server.push_to(keys[1], invalidate);
        server.push_to(99, invalidate);
        assert_eq!(
            take_all(&mut server),
            vec![
                (
                    keys[0],
                    "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n"
                        .into()
                ),
                (
                    keys[1],
                    ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n".into()
                ),
            ]
        );
        // A client that went away before delivery gets nothing.
        server.push_to(keys[0], invalidate);
        server.pubsub.forget_deliveries(keys[0]);
        assert!(take_all(&mut server).is_empty());
    }

    #[test]
    fn publish_queues_others_and_answers_a_subscribed_publisher_in_place() {
        let (mut server, keys) = server_with_clients(&[2, 3, 3]);
        for &k in &keys {
            server.subscribe(k, b"ch");
        }
        server.ssubscribe(keys[1], b"ch");
        let mut out = Reply::with_protocol(3);
        assert_eq!(server.publish(keys[2], b"ch", b"m", &mut out), 3);
        assert_eq!(out.buf, b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n");
        let got = take_all(&mut server);
        assert_eq!(
            got,
            vec![
                (
                    keys[0],
                    "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n".into()
                ),
                (
                    keys[1],
                    ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n".into()
                ),
            ]
        );
        let mut out = Reply::with_protocol(2);
        assert_eq!(server.spublish(keys[0], b"ch", b"s", &mut out), 1);
        assert!(out.is_empty());
        assert_eq!(take_all(&mut server).len(), 1);
        server.unsubscribe_all(keys[1]);
        assert_eq!(server.pubsub.shard_channel_count(), 0);
        assert_eq!(server.pubsub.subscriber_count(b"ch"), 2);
    }

    #[test]
    fn confirmations_are_pushes() {
        let mut r3 = Reply::with_protocol(3);
        confirmation(&mut r3, "sunsubscribe", None, 0);
        assert_eq!(r3.buf, b">3\r\n$12\r\nsunsubscribe\r\n_\r\n:0\r\n");
        let mut r2 = Reply::with_protocol(2);
        confirmation(&mut r2, "sunsubscribe", None, 0);
        assert_eq!(r2.buf, b"*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n");
    }
}
