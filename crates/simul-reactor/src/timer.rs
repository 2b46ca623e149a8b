//! [`TimerQueue`]: a scheduler's pending timers, earliest first.
//!
//! # Timers in an event loop
//!
//! An event loop blocks in exactly one place, [`Reactor::poll`], and it
//! can only wake from there for two reasons: a descriptor became ready, or
//! the time it passed as the deadline arrived. Every `sleep`, every
//! timeout, every `call_later` therefore turns into an entry in a timer
//! queue, and each turn of the loop asks the queue two questions:
//!
//! 1. *When must I wake up at the latest?* The earliest pending deadline,
//!    handed to `poll` ([`TimerQueue::next_deadline`]).
//! 2. *After the wait, who is due?* Every timer whose deadline is not
//!    after `now`, earliest first ([`TimerQueue::pop_due`]).
//!
//! A third operation matters as much as the two: **cancellation**. Most
//! timers never fire. A read with a 30 s timeout that completes after
//! 2 ms cancels its timer; a task that is aborted drops its sleep. A queue
//! that is good at firing but leaves cancelled timers behind (as
//! tombstones waiting for their deadline) holds memory for the *longest*
//! timeout of every operation ever started, not for the ones still
//! pending. So here cancellation removes the entry at once.
//!
//! Ties are common (a virtual clock makes every task started at one
//! instant with one `sleep(1s)` due at the same nanosecond), and the order
//! in which tied timers fire is visible to programs. simul follows
//! asyncio's rule: earliest deadline first, and among equal deadlines, the
//! timer scheduled first fires first. Internally each timer is ordered by
//! the pair `(deadline, sequence number)`, the sequence number counting
//! insertions (and resets, which count as re-scheduling).
//!
//! # The structure
//!
//! A heap of small nodes, and a slab of entries at stable indices (split
//! into a hot and a cold array), pointing at each other:
//!
//! ```text
//!  heap: Vec<Node>    4-ary min-heap on (deadline, seq); children of i: 4i+1 ..= 4i+4
//!                     16 bytes per node: deadline u64, seq u32, slot u32
//!    pos:    0          1          2          3          4          5    ...
//!         +--------+ +--------+ +--------+ +--------+ +--------+ +--------+
//!         | t=3 s  | | t=5 s  | | t=4 s  | | t=9 s  | | t=7 s  | | t=6 s  |
//!         | seq 3  | | seq 1  | | seq 6  | | seq 2  | | seq 4  | | seq 5  |
//!         | slot 1 | | slot 0 | | slot 4 | | slot 2 | | slot 3 | | slot 5 |
//!         +--------+ +--------+ +--------+ +--------+ +--------+ +--------+
//!           root     '---------- the root's four children -------' 1's first
//!
//!  links: Vec<u32>    slot -> position of its node in the heap (occupied),
//!                     or the next vacant slot (vacant)
//!    slot:   0     1     2     3     4     5    ...    7    ...    9
//!         +-----+-----+-----+-----+-----+-----+-----+-----+-----+-----+
//!         |  1  |  0  |  3  |  4  |  2  |  5  | ... |  9  | ... |  -  |
//!         +-----+-----+-----+-----+-----+-----+-----+-----+-----+-----+
//!                                          free ---^   vacant: 7 -> 9 -> end
//!
//!  slab: Vec<Entry>   slot -> id and value of the timer in it (id 0: vacant)
//!         +-------+-------+-------+-------+-------+-------+-----+-------+
//!         | id 1  | id 3  | id 2  | id 4  | id 6  | id 5  | ... | id 0  |
//!         | value | value | value | value | value | value |     |       |
//!         +-------+-------+-------+-------+-------+-------+-----+-------+
//!
//!  TimerKey { slot: 1, id: 3 }   "the timer in slot 1, if its id is still 3"
//!  cancel(key):  slab[1].id == 3, so pos = links[1] = 0: remove heap[0], repair
//! ```
//!
//! * The **heap** keeps the earliest `(deadline, seq)` at position 0, so
//!   [`next_deadline`](TimerQueue::next_deadline) is one load. Its nodes
//!   carry the sort key themselves, so sifting compares neighbouring
//!   memory without following pointers, and they name the slot of their
//!   value. `seq` is a 32-bit counter to keep nodes at 16 bytes; when it
//!   runs out (after four billion insertions and resets) the pending
//!   timers are renumbered `0..n` in order, which costs one sort of the
//!   heap array and keeps it a valid heap.
//! * **links** records, for each slot, where its node sits in the heap now
//!   (updated on every move). That is what lets
//!   [`cancel`](TimerQueue::cancel) and [`reset`](TimerQueue::reset) find
//!   a timer in the middle of the heap in O(1) and repair the heap from
//!   there in O(log n). Vacant slots are chained into a free list, so
//!   they are reused before the arrays grow: after any number of
//!   insert/fire cycles the memory is bounded by the most timers ever
//!   pending at once. It is a separate array of `u32` because sifting
//!   updates it at every step, and a small array stays in cache.
//! * The **slab** holds ids and values, touched only when a timer is
//!   inserted, looked up by key, cancelled or fired.
//! * A **key** names a slot and the *id* of the timer that occupied it.
//!   Ids count insertions in a `u64` that never repeats (at a billion
//!   insertions a second it lasts 584 years), so a key kept after its
//!   timer fired or was cancelled can never match a later timer that
//!   reuses the slot: it is simply stale, and every operation on it is a
//!   harmless `None`/`false`. [`clear`](TimerQueue::clear) keeps counting,
//!   so keys from before it stay stale too.
//!
//! ## Costs
//!
//! | operation | cost |
//! | --- | --- |
//! | `insert` | O(log₄ n) worst case, O(1) on average for random or increasing deadlines (a new node rarely climbs far) |
//! | `cancel`, `reset` | O(log₄ n), memory reused at once |
//! | `pop_due` | O(log₄ n): a sift-down of the last node from the root |
//! | `next_deadline`, `deadline`, `len` | O(1) |
//! | memory | per pending timer, a 16-byte node, a 4-byte link and a slab entry of 8 bytes + `size_of::<Option<T>>()` rounded up to 8: 36 bytes in all for a `u32` id, 44 for a `Waker` or a boxed callback. A fired or cancelled timer's slot waits in the free list for the next insertion; [`shrink_to_fit`](TimerQueue::shrink_to_fit) returns the memory after a burst |
//!
//! ## Why this structure
//!
//! * **Why 4-ary rather than binary:** a pop walks down `log₄ n` levels
//!   instead of `log₂ n` (10 instead of 20 at a million timers), and the
//!   four children it compares at each level are 64 contiguous bytes,
//!   one or two cache lines. Fewer levels means fewer cache misses, which
//!   dominate at large n. The extra comparisons are cheap as long as they
//!   do not branch: the earliest of four children is chosen by a
//!   two-round tournament that compiles to conditional moves.
//! * **Why not `BTreeMap<(Instant, u64), T>`:** it gives the same order
//!   and O(log n) operations, but allocates and frees nodes as it grows
//!   and shrinks, and each operation walks several nodes of 11 keys. The
//!   benchmark `benches/timers.rs` measures it beside this queue.
//! * **Why not a `BinaryHeap` with lazy cancellation:** the floor of what
//!   a heap costs, but a cancelled timer stays until its deadline passes,
//!   which is exactly the memory problem described above.
//! * **Why not a timing wheel** (hashed, or hierarchical as in tokio and
//!   the Linux kernel): a wheel gets O(1) insert and cancel by rounding
//!   deadlines into slots of fixed width (a millisecond in tokio). That
//!   rounding is the problem here: simul promises nanosecond deadlines,
//!   exact timing under the virtual clock, and asyncio's tie order, and a
//!   wheel would have to sort inside each slot to keep those promises and
//!   would need a scan to answer "what is the earliest deadline".
//!
//! What the heap costs is measured by `benches/timers.rs`, beside
//! `BinaryHeap` (insert and pop only: the floor for any heap) and
//! `BTreeMap`. With a thousand pending timers a timer's whole life
//! (insert and fire, or insert and cancel) takes well under 100 ns. With
//! a million timers and *random* deadlines each pop walks ten levels of a
//! 16 MB array and pays a cache miss at most of them: several hundred
//! nanoseconds, at or below what `BinaryHeap` pays for the same work and
//! well below `BTreeMap`. When deadlines arrive roughly in order (many
//! tasks sleeping for similar times, the common case) new nodes stay near
//! the bottom, pops touch the same few paths, and a timer costs about
//! 130 ns even at a million. If random-deadline queues of millions ever
//! dominate a profile, the next step is a structure that trades
//! exactness for locality (a hierarchical wheel with a small heap per
//! slot, or a radix heap); this one keeps the exact promises.
//!
//! [`Reactor::poll`]: crate::Reactor::poll

use crate::Instant;
use std::fmt;
use std::num::NonZeroU64;

/// Children per heap node. Four keeps the tree shallow while the children
/// of one node stay within about one cache line.
const ARITY: usize = 4;

/// "No slot" in the free list.
const NO_SLOT: u32 = u32::MAX;

/// The name of one timer in a [`TimerQueue`], returned by
/// [`TimerQueue::insert`] and used to cancel, reset or inspect it.
///
/// A key stays valid while its timer is pending. Once the timer has fired
/// or been cancelled the key is *stale*: operations on it return `None` or
/// `false` and never affect another timer, even one that now occupies the
/// same internal slot. Keys are cheap to copy and store (16 bytes).
///
/// A key belongs to the queue that issued it. Using it with another queue
/// is a logic error: it is memory-safe, but may name an unrelated timer
/// of that queue.
///
/// # Examples
///
/// ```
/// use simul_reactor::{Instant, TimerQueue};
///
/// let mut timers = TimerQueue::new();
/// let key = timers.insert(Instant::from_nanos(10), "first");
/// assert_eq!(timers.pop_due(Instant::from_nanos(10)), Some((Instant::from_nanos(10), "first")));
///
/// // The slot is reused by the next timer, but the old key does not name it.
/// let newer = timers.insert(Instant::from_nanos(20), "second");
/// assert_ne!(key, newer);
/// assert_eq!(timers.cancel(key), None);
/// assert_eq!(timers.len(), 1);
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct TimerKey {
    /// Index of the timer's entry in the slab.
    slot: u32,
    /// The timer's id: the queue's insertion counter when it was inserted.
    /// Never zero (zero marks a vacant slab entry), which also lets an
    /// `Option<TimerKey>`, or a struct holding one, cost no tag.
    id: NonZeroU64,
}

/// One heap node: a timer's sort key and where its value lives. 16 bytes,
/// so the four children of a node span 64 bytes.
#[derive(Copy, Clone, Debug)]
struct Node {
    /// When the timer is due.
    deadline: Instant,
    /// Tie-breaker: the order in which pending timers were scheduled
    /// (inserted or last reset). Unique among pending timers; renumbered
    /// by [`TimerQueue::renumber`] before the counter would wrap.
    seq: u32,
    /// Index of the timer's slab entry.
    slot: u32,
}

impl Node {
    /// Whether `self` fires before `other`: earlier deadline, or the same
    /// deadline and scheduled earlier.
    #[inline]
    fn before(&self, other: &Node) -> bool {
        self.key() < other.key()
    }

    /// `(deadline, seq)` as one integer, so that comparing two nodes is
    /// one wide comparison the compiler can do without branches.
    #[inline]
    fn key(&self) -> u128 {
        (u128::from(self.deadline.as_nanos()) << 32) | u128::from(self.seq)
    }
}

/// One slab entry: a pending timer's id and value.
///
/// # Invariant
///
/// Occupied: `id != 0` and `value` is `Some`. Vacant: `id == 0` and
/// `value` is `None`.
#[derive(Debug)]
struct Entry<T> {
    /// The id of the timer occupying the entry, or 0 when vacant.
    id: u64,
    /// The caller's value (callback, waker, coroutine id).
    value: Option<T>,
}

/// The pending timers of one scheduler, ordered by deadline, with
/// insertion order breaking ties.
///
/// Each scheduler owns one and stores in it whatever it needs to resume
/// the sleeper: the callback loop stores callbacks, the executor wakers,
/// the trampoline coroutine ids. A turn of the loop then looks like this:
///
/// ```text
///   deadline = timers.next_deadline()          // None: no timers, wait for I/O only
///   reactor.poll(&mut events, deadline)
///   while let Some((_, v)) = timers.pop_due(reactor.now()) { make v ready }
/// ```
///
/// Operations cost O(log n) at most (`next_deadline` is O(1)); cancelled
/// timers release their entry immediately, and memory stays bounded by
/// the largest number of timers pending at once. See the module source
/// (`timer.rs`) for the structure, a 4-ary indexed min-heap over a slab,
/// and why it was chosen over a `BTreeMap` or a timing wheel.
///
/// Deadlines are arbitrary [`Instant`]s: past ones are due at once, and
/// [`Instant::MAX`] ("never") is legal and only due when `now` is
/// `Instant::MAX` itself.
///
/// # Examples
///
/// A complete loop on the virtual clock: three sleepers, one of them
/// cancelled, and the reactor jumping straight to each deadline.
///
/// ```
/// use simul_reactor::{Clock, Events, Reactor, TimerQueue};
/// use std::time::Duration;
///
/// let mut reactor = Reactor::with_clock(Clock::new_virtual())?;
/// let mut events = Events::with_capacity(8);
/// let mut timers = TimerQueue::new();
///
/// let start = reactor.now();
/// timers.insert(start + Duration::from_millis(30), "tea is ready");
/// let alarm = timers.insert(start + Duration::from_millis(10), "alarm");
/// timers.insert(start + Duration::from_millis(20), "kettle boils");
/// timers.cancel(alarm); // switched off before it rang
///
/// let mut trace = Vec::new();
/// while !timers.is_empty() {
///     reactor.poll(&mut events, timers.next_deadline())?;
///     while let Some((deadline, what)) = timers.pop_due(reactor.now()) {
///         assert!(reactor.now() >= deadline, "never early");
///         trace.push((deadline - start, what));
///     }
/// }
/// assert_eq!(
///     trace,
///     [(Duration::from_millis(20), "kettle boils"), (Duration::from_millis(30), "tea is ready")]
/// );
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TimerQueue<T> {
    /// The 4-ary min-heap of pending timers.
    ///
    /// # Invariant
    ///
    /// No node is [`Node::before`] its parent; each node's slot is
    /// occupied and links back to the node's position.
    heap: Vec<Node>,
    /// The slab's hot half, one `u32` per slot, touched on every heap
    /// move: for an occupied slot, the position of its node in `heap`; for
    /// a vacant one, the next vacant slot or [`NO_SLOT`]. Kept apart from
    /// `slab` so sifting through a large heap touches 4 bytes per moved
    /// node rather than a whole entry.
    ///
    /// # Invariant
    ///
    /// `links.len() == slab.len()`; for every position `p` in `heap`,
    /// `links[heap[p].slot] == p`.
    links: Vec<u32>,
    /// The slab's cold half: ids and values at stable indices, touched
    /// only on insert, cancel, pop and key checks.
    slab: Vec<Entry<T>>,
    /// First vacant slot, or [`NO_SLOT`].
    free: u32,
    /// Next timer id; starts at 1 so that 0 can mark vacant entries.
    next_id: u64,
    /// Next tie-breaking sequence number.
    ///
    /// # Invariant
    ///
    /// Greater than the `seq` of every node in `heap`.
    next_seq: u32,
}

impl<T> TimerQueue<T> {
    /// An empty queue. It allocates nothing until the first insertion.
    ///
    /// # Examples
    ///
    /// ```
    /// let timers = simul_reactor::TimerQueue::<()>::new();
    /// assert!(timers.is_empty());
    /// assert_eq!(timers.next_deadline(), None);
    /// ```
    pub fn new() -> Self {
        TimerQueue {
            heap: Vec::new(),
            links: Vec::new(),
            slab: Vec::new(),
            free: NO_SLOT,
            next_id: 1,
            next_seq: 0,
        }
    }

    /// An empty queue with room for `capacity` pending timers before it
    /// reallocates.
    ///
    /// # Examples
    ///
    /// ```
    /// let timers = simul_reactor::TimerQueue::<u32>::with_capacity(1000);
    /// assert!(timers.capacity() >= 1000);
    /// assert!(timers.is_empty());
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        TimerQueue {
            heap: Vec::with_capacity(capacity),
            links: Vec::with_capacity(capacity),
            slab: Vec::with_capacity(capacity),
            free: NO_SLOT,
            next_id: 1,
            next_seq: 0,
        }
    }

    /// Schedules `value` for `deadline` and returns the key that names the
    /// timer.
    ///
    /// Among timers with equal deadlines, this one will fire after those
    /// already scheduled. A deadline in the past is legal: the timer is
    /// due at once.
    ///
    /// # Panics
    ///
    /// If about four billion (`u32::MAX`) timers are pending at once,
    /// which exhausts memory long before on any real machine.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Instant, TimerQueue};
    ///
    /// let mut timers = TimerQueue::new();
    /// let t = Instant::from_nanos(5);
    /// timers.insert(t, 'a');
    /// let b = timers.insert(t, 'b');
    /// assert_eq!(timers.deadline(b), Some(t));
    /// assert_eq!(timers.pop_due(t), Some((t, 'a')));
    /// assert_eq!(timers.pop_due(t), Some((t, 'b')));
    /// ```
    pub fn insert(&mut self, deadline: Instant, value: T) -> TimerKey {
        let id = self.next_id;
        self.next_id += 1;
        let seq = self.take_seq();
        let pos = self.heap.len() as u32;
        let slot = if self.free != NO_SLOT {
            let slot = self.free;
            self.free = self.links[slot as usize];
            self.links[slot as usize] = pos;
            self.slab[slot as usize] = Entry { id, value: Some(value) };
            slot
        } else {
            let slot = self.slab.len();
            assert!(slot < NO_SLOT as usize, "TimerQueue: more than u32::MAX - 1 pending timers");
            self.links.push(pos);
            self.slab.push(Entry { id, value: Some(value) });
            slot as u32
        };
        self.heap.push(Node { deadline, seq, slot });
        self.sift_up(pos as usize);
        // `next_id` starts at 1 and only grows (a u64 never wraps here).
        let id = NonZeroU64::new(id).expect("TimerQueue: timer ids start at 1");
        TimerKey { slot, id }
    }

    /// Removes a pending timer and returns its value.
    ///
    /// If the timer has already fired or been cancelled, returns `None`
    /// and changes nothing, so cancelling is always safe, e.g. from a
    /// destructor that does not know whether its timer went off.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Instant, TimerQueue};
    ///
    /// let mut timers = TimerQueue::new();
    /// let key = timers.insert(Instant::from_nanos(100), "timeout");
    /// assert_eq!(timers.cancel(key), Some("timeout"));
    /// assert_eq!(timers.cancel(key), None); // twice: harmless
    /// assert_eq!(timers.pop_due(Instant::MAX), None);
    /// ```
    pub fn cancel(&mut self, key: TimerKey) -> Option<T> {
        let pos = self.position(key)?;
        let node = self.remove_node(pos);
        Some(self.vacate(node.slot))
    }

    /// Moves a pending timer to a new `deadline`, earlier or later, and
    /// returns `true`; returns `false` (and does nothing) if the timer has
    /// fired or been cancelled.
    ///
    /// A reset counts as re-scheduling: the timer goes after timers that
    /// already have the new deadline. Its key stays the same. This is
    /// how an idle timeout is pushed back on every read without a
    /// cancel and an insert.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Instant, TimerQueue};
    ///
    /// let mut timers = TimerQueue::new();
    /// let t = Instant::from_nanos;
    /// let idle = timers.insert(t(10), "idle timeout");
    /// timers.insert(t(50), "other");
    /// assert!(timers.reset(idle, t(50))); // activity: push it back
    /// assert_eq!(timers.deadline(idle), Some(t(50)));
    /// assert_eq!(timers.pop_due(t(49)), None);
    /// assert_eq!(timers.pop_due(t(50)), Some((t(50), "other")));
    /// assert_eq!(timers.pop_due(t(50)), Some((t(50), "idle timeout")));
    /// assert!(!timers.reset(idle, t(60))); // already fired
    /// ```
    pub fn reset(&mut self, key: TimerKey, deadline: Instant) -> bool {
        if self.position(key).is_none() {
            return false;
        }
        // Taking a sequence number may renumber, which moves nodes: look
        // the position up afterwards.
        let seq = self.take_seq();
        let pos = self.links[key.slot as usize] as usize;
        let old = self.heap[pos];
        let new = Node { deadline, seq, slot: old.slot };
        self.heap[pos] = new;
        if new.before(&old) {
            self.sift_up(pos)
        } else {
            self.sift_down(pos)
        }
        true
    }

    /// The deadline of a pending timer, or `None` if it has fired or been
    /// cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Instant, TimerQueue};
    ///
    /// let mut timers = TimerQueue::new();
    /// let key = timers.insert(Instant::MAX, ());
    /// assert_eq!(timers.deadline(key), Some(Instant::MAX));
    /// timers.cancel(key);
    /// assert_eq!(timers.deadline(key), None);
    /// ```
    pub fn deadline(&self, key: TimerKey) -> Option<Instant> {
        self.position(key).map(|pos| self.heap[pos].deadline)
    }

    /// The earliest pending deadline, or `None` if no timer is pending: the
    /// value to pass to [`Reactor::poll`](crate::Reactor::poll). O(1).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Instant, TimerQueue};
    ///
    /// let mut timers = TimerQueue::new();
    /// assert_eq!(timers.next_deadline(), None);
    /// timers.insert(Instant::from_nanos(30), ());
    /// let early = timers.insert(Instant::from_nanos(20), ());
    /// assert_eq!(timers.next_deadline(), Some(Instant::from_nanos(20)));
    /// timers.cancel(early);
    /// assert_eq!(timers.next_deadline(), Some(Instant::from_nanos(30)));
    /// ```
    pub fn next_deadline(&self) -> Option<Instant> {
        self.heap.first().map(|node| node.deadline)
    }

    /// Removes and returns the earliest timer if it is due, that is, its
    /// deadline is not after `now`; `None` otherwise.
    ///
    /// Call it in a loop after each wait to collect everything that is due,
    /// in order: earliest deadline first, ties in the order the timers were
    /// scheduled (asyncio's rule). The deadline comes back with the value,
    /// so a scheduler can tell how late it is.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Instant, TimerQueue};
    ///
    /// let mut timers = TimerQueue::new();
    /// let t = Instant::from_nanos;
    /// timers.insert(t(20), "b");
    /// timers.insert(t(10), "a");
    /// timers.insert(t(30), "c");
    ///
    /// let mut due = Vec::new();
    /// while let Some((_, v)) = timers.pop_due(t(25)) {
    ///     due.push(v);
    /// }
    /// assert_eq!(due, ["a", "b"]);
    /// assert_eq!(timers.next_deadline(), Some(t(30)));
    /// ```
    pub fn pop_due(&mut self, now: Instant) -> Option<(Instant, T)> {
        let root = *self.heap.first()?;
        if root.deadline > now {
            return None;
        }
        self.remove_node(0);
        Some((root.deadline, self.vacate(root.slot)))
    }

    /// The number of pending timers.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Instant, TimerQueue};
    ///
    /// let mut timers = TimerQueue::new();
    /// timers.insert(Instant::ZERO, ());
    /// timers.insert(Instant::MAX, ());
    /// assert_eq!(timers.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no timer is pending.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Instant, TimerQueue};
    ///
    /// let mut timers = TimerQueue::new();
    /// assert!(timers.is_empty());
    /// let key = timers.insert(Instant::ZERO, ());
    /// assert!(!timers.is_empty());
    /// timers.cancel(key);
    /// assert!(timers.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Cancels every pending timer, dropping the values. Keys issued
    /// before stay stale forever; the allocated capacity is kept.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Instant, TimerQueue};
    ///
    /// let mut timers = TimerQueue::new();
    /// let key = timers.insert(Instant::ZERO, "dropped");
    /// timers.clear();
    /// assert!(timers.is_empty());
    /// timers.insert(Instant::ZERO, "new");
    /// assert_eq!(timers.cancel(key), None); // the old key names nothing
    /// ```
    pub fn clear(&mut self) {
        // Ids keep counting, so old keys cannot match timers inserted after.
        self.heap.clear();
        self.free = NO_SLOT;
        self.links.clear();
        self.slab.clear();
    }

    /// How many timers can be pending before the queue reallocates.
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Instant, TimerQueue};
    ///
    /// let mut timers = TimerQueue::with_capacity(16);
    /// let cap = timers.capacity();
    /// for i in 0..1000 {
    ///     timers.insert(Instant::from_nanos(i), i);
    ///     timers.pop_due(Instant::MAX);
    /// }
    /// assert_eq!(timers.capacity(), cap, "freed entries are reused");
    /// ```
    pub fn capacity(&self) -> usize {
        self.heap.capacity().min(self.links.capacity()).min(self.slab.capacity())
    }

    /// Releases memory not needed by the timers pending now, e.g. after a
    /// burst of a million sleeps has drained. O(capacity).
    ///
    /// Vacant entries at the end of the slab are dropped; vacant entries
    /// between occupied ones remain (occupied entries never move, since
    /// keys name them).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Instant, TimerQueue};
    ///
    /// let mut timers = TimerQueue::new();
    /// for i in 0..10_000 {
    ///     timers.insert(Instant::from_nanos(i), i);
    /// }
    /// while timers.pop_due(Instant::MAX).is_some() {}
    /// timers.shrink_to_fit();
    /// assert_eq!(timers.capacity(), 0);
    /// ```
    pub fn shrink_to_fit(&mut self) {
        while self.slab.last().is_some_and(|entry| entry.id == 0) {
            self.slab.pop();
        }
        self.links.truncate(self.slab.len());
        // Rebuild the free list, lowest slot first, without the dropped tail.
        self.free = NO_SLOT;
        for slot in (0..self.slab.len()).rev() {
            if self.slab[slot].id == 0 {
                self.links[slot] = self.free;
                self.free = slot as u32;
            }
        }
        self.heap.shrink_to_fit();
        self.links.shrink_to_fit();
        self.slab.shrink_to_fit();
    }

    /// The heap position of the timer `key` names, if it is pending.
    #[inline]
    fn position(&self, key: TimerKey) -> Option<usize> {
        let entry = self.slab.get(key.slot as usize)?;
        // Vacant entries have id 0, which no key carries.
        (entry.id == key.id.get()).then(|| self.links[key.slot as usize] as usize)
    }

    /// Hands out the next tie-breaking sequence number, renumbering the
    /// pending timers first if the counter has run out.
    #[inline]
    fn take_seq(&mut self) -> u32 {
        if self.next_seq == u32::MAX {
            self.renumber();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Gives the pending timers the sequence numbers `0..len` in their
    /// current order, so the counter can continue from `len`.
    ///
    /// Needed once per four billion insertions and resets. Sorting the
    /// heap array by `(deadline, seq)` keeps it a valid heap (every parent
    /// sits before its children), so this is an O(n log n) sort and one
    /// pass, with no heap rebuild.
    #[cold]
    fn renumber(&mut self) {
        self.heap.sort_unstable_by_key(|node| (node.deadline, node.seq));
        for (pos, node) in self.heap.iter_mut().enumerate() {
            node.seq = pos as u32;
            self.links[node.slot as usize] = pos as u32;
        }
        self.next_seq = self.heap.len() as u32;
    }

    /// Marks `slot` vacant, pushes it on the free list and returns its value.
    #[inline]
    fn vacate(&mut self, slot: u32) -> T {
        let entry = &mut self.slab[slot as usize];
        entry.id = 0;
        let value = entry.value.take();
        self.links[slot as usize] = self.free;
        self.free = slot;
        value.expect("TimerQueue invariant: an occupied entry holds a value")
    }

    /// Removes the node at `pos` from the heap and restores the heap order.
    /// The node's slab entry is left for the caller to vacate.
    #[inline]
    fn remove_node(&mut self, pos: usize) -> Node {
        let removed = self.heap.swap_remove(pos);
        if pos < self.heap.len() {
            // The former last node now sits at `pos`: it may belong higher
            // (when `pos` was in another subtree) or lower.
            let moved = self.heap[pos];
            if pos > 0 && moved.before(&self.heap[(pos - 1) / ARITY]) {
                self.sift_up(pos);
            } else {
                self.sift_down(pos);
            }
        }
        removed
    }

    /// Moves the node at `pos` up until its parent is not after it, then
    /// records the final positions in `links`.
    fn sift_up(&mut self, mut pos: usize) {
        let node = self.heap[pos];
        while pos > 0 {
            let parent = (pos - 1) / ARITY;
            let above = self.heap[parent];
            if !node.before(&above) {
                break;
            }
            self.heap[pos] = above;
            self.links[above.slot as usize] = pos as u32;
            pos = parent;
        }
        self.heap[pos] = node;
        self.links[node.slot as usize] = pos as u32;
    }

    /// Moves the node at `pos` down, swapping with its earliest child while
    /// that child is before it, then records the final positions.
    fn sift_down(&mut self, mut pos: usize) {
        let node = self.heap[pos];
        let len = self.heap.len();
        loop {
            let first = pos * ARITY + 1;
            if first >= len {
                break;
            }
            let best = if first + ARITY <= len {
                // Four children: a branch-free tournament. Which child is
                // earliest is a coin toss the CPU cannot predict, and three
                // mispredicted branches per level cost more than the
                // comparisons (measured: a quarter of a pop at 100k timers).
                let c = &self.heap[first..first + ARITY];
                let (k0, k1, k2, k3) = (c[0].key(), c[1].key(), c[2].key(), c[3].key());
                let (i01, k01) = if k1 < k0 { (1, k1) } else { (0, k0) };
                let (i23, k23) = if k3 < k2 { (3, k3) } else { (2, k2) };
                if k23 < k01 { i23 } else { i01 }
            } else {
                let children = &self.heap[first..len];
                let mut best = 0;
                for (i, child) in children.iter().enumerate().skip(1) {
                    if child.before(&children[best]) {
                        best = i;
                    }
                }
                best
            };
            let child = self.heap[first + best];
            if !child.before(&node) {
                break;
            }
            self.heap[pos] = child;
            self.links[child.slot as usize] = pos as u32;
            pos = first + best;
        }
        self.heap[pos] = node;
        self.links[node.slot as usize] = pos as u32;
    }
}

impl<T> Default for TimerQueue<T> {
    /// Same as [`TimerQueue::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// let timers: simul_reactor::TimerQueue<String> = Default::default();
    /// assert!(timers.is_empty());
    /// ```
    fn default() -> Self {
        TimerQueue::new()
    }
}

impl<T> fmt::Debug for TimerQueue<T> {
    /// Shows the number of pending timers and the earliest deadline, not
    /// the values (which need not be `Debug`: callbacks, wakers).
    ///
    /// # Examples
    ///
    /// ```
    /// use simul_reactor::{Instant, TimerQueue};
    ///
    /// let mut timers = TimerQueue::new();
    /// timers.insert(Instant::MAX, || ());
    /// assert_eq!(format!("{timers:?}"), "TimerQueue { len: 1, next_deadline: Some(Instant::MAX) }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerQueue")
            .field("len", &self.len())
            .field("next_deadline", &self.next_deadline())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(nanos: u64) -> Instant {
        Instant::from_nanos(nanos)
    }

    /// Checks the heap order and the links between heap and slab.
    fn check_invariants<T>(q: &TimerQueue<T>) {
        for (pos, node) in q.heap.iter().enumerate() {
            assert_eq!(q.links[node.slot as usize] as usize, pos);
            assert!(q.slab[node.slot as usize].id != 0);
            assert!(node.seq < q.next_seq);
            if pos > 0 {
                assert!(!node.before(&q.heap[(pos - 1) / ARITY]));
            }
        }
    }

    #[test]
    fn sizes_match_the_documented_memory_cost() {
        assert_eq!(std::mem::size_of::<Node>(), 16);
        assert_eq!(std::mem::size_of::<Entry<u32>>(), 16);
        assert_eq!(std::mem::size_of::<Entry<std::task::Waker>>(), 24);
        assert_eq!(std::mem::size_of::<Entry<Box<dyn FnOnce()>>>(), 24);
        assert_eq!(std::mem::size_of::<TimerKey>(), 16);
    }

    #[test]
    fn running_out_of_sequence_numbers_keeps_the_order() {
        let mut q = TimerQueue::new();
        // Start close to the end of the counter, so that it runs out (and
        // the queue renumbers) several times during the test.
        let mut want = Vec::new();
        let mut keys = Vec::new();
        for round in 0..5u64 {
            q.next_seq = u32::MAX - 7;
            for i in 0..20u64 {
                let value = round * 100 + i;
                // Three deadlines only, so ties span the renumbering.
                keys.push(q.insert(t(i % 3), value));
                want.push((i % 3, want.len() as u64, value));
                check_invariants(&q);
            }
        }
        assert!(q.next_seq < 200, "the counter was renumbered");
        // A reset that itself runs out of numbers still finds its node
        // (renumbering moves nodes) and goes behind its new peers.
        q.next_seq = u32::MAX;
        assert!(q.reset(keys[0], t(1)));
        assert!(q.next_seq < 200, "the reset renumbered");
        check_invariants(&q);
        want.retain(|&(_, _, v)| v != 0);
        want.push((1, u64::MAX, 0));
        want.sort_unstable();
        let got: Vec<u64> =
            std::iter::from_fn(|| q.pop_due(Instant::MAX)).map(|(_, v)| v).collect();
        let want: Vec<u64> = want.into_iter().map(|(_, _, v)| v).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn invariants_hold_through_mixed_operations() {
        let mut q = TimerQueue::new();
        let mut keys = Vec::new();
        let mut x = 1u64;
        for step in 0..5_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 5 {
                0 | 1 => keys.push(q.insert(t(x % 64), step)),
                2 if !keys.is_empty() => {
                    let k = keys.swap_remove((x >> 8) as usize % keys.len());
                    q.cancel(k);
                }
                3 if !keys.is_empty() => {
                    q.reset(keys[(x >> 8) as usize % keys.len()], t(x >> 58));
                }
                _ => {
                    q.pop_due(t(x % 32));
                }
            }
            check_invariants(&q);
        }
    }
}
