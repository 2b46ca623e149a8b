//! Reliability item 29: a counting allocator across register / poll /
//! deregister / timer / notifier cycles. Live heap bytes must not grow
//! from one batch of 1,000 cycles to the next, so nothing the reactor does
//! per descriptor, per event or per timer is kept after it is done.
//!
//! One test function, so no other test allocates while it measures.

use std::io::Write;

use simul_reactor::net::UnixStream;
use simul_reactor::{Clock, Events, Instant, Interest, Reactor, TimerQueue, Token};
use simul_testkit::alloc::{Counting, live};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};
use std::os::fd::AsRawFd;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A batch of 1,000 cycles; each one opens a socket pair, registers both
/// ends, makes one readable, polls for it, deregisters, closes, inserts
/// timers (one cancelled, one reset, one left to fire), pops the due one
/// and wakes the notifier once.
fn thousand_cycles(reactor: &mut Reactor, timers: &mut TimerQueue<u64>, events: &mut Events) {
    for i in 0..1000u64 {
        let (mut a, b) = UnixStream::pair().unwrap();
        reactor.register(a.as_raw_fd(), Token(1), Interest::BOTH).unwrap();
        reactor.register(b.as_raw_fd(), Token(2), Interest::READABLE).unwrap();
        a.write_all(b"x").unwrap();
        // The virtual clock jumps to the deadline, so this never waits
        // on real time; the readable end is reported first anyway.
        let deadline = reactor.now() + std::time::Duration::from_micros(1);
        reactor.poll(events, Some(deadline)).unwrap();
        assert!(events.iter().any(|e| e.token() == Token(2) && e.is_readable()), "cycle {i}");
        reactor.deregister(a.as_raw_fd()).unwrap();
        reactor.deregister(b.as_raw_fd()).unwrap();
        drop((a, b));

        let now = reactor.now();
        let cancelled = timers.insert(now + std::time::Duration::from_millis(5), i);
        let reset = timers.insert(now + std::time::Duration::from_millis(7), i);
        timers.insert(now, i);
        assert_eq!(timers.cancel(cancelled), Some(i));
        assert!(timers.reset(reset, Instant::MAX));
        assert_eq!(timers.pop_due(now).map(|(_, v)| v), Some(i));
        assert_eq!(timers.cancel(reset), Some(i));
        assert!(timers.is_empty());

        reactor.notifier().wake().unwrap();
    }
    // Take the last wake so the next batch starts from the same state.
    reactor.poll(events, Some(reactor.now())).unwrap();
}

/// Batches of 1,000 cycles: 6 by default, 50 with `SIMUL_FULL=1`.
fn batches() -> usize {
    if std::env::var_os("SIMUL_FULL").is_some() { 50 } else { 6 }
}

#[test]
fn register_poll_timer_and_wake_cycles_do_not_grow_the_heap() {
    let fds = FdSnapshot::take();
    let rounds = batches();
    {
        let mut reactor = Reactor::with_clock(Clock::new_virtual()).unwrap();
        let mut timers = TimerQueue::new();
        let mut events = Events::with_capacity(64);
        // Reserved up front: the record itself must not allocate while
        // it measures.
        let mut after = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            thousand_cycles(&mut reactor, &mut timers, &mut events);
            after.push(live());
        }
        println!("live bytes after each 1,000 cycles: {after:?}");
        // The first batches may still grow buffers to their working size
        // (the registration table, the timer slab); after that, even one
        // byte kept per cycle would show as 3,000.
        let growth = after[rounds - 1] - after[2];
        let cycles = (rounds - 3) * 1000;
        assert!(growth <= 0, "grew by {growth} bytes over {cycles} cycles: {after:?}");
    }
    assert_no_leaks(&fds);
}
