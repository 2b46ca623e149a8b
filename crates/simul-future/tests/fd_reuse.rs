//! Reliability item 16 for the future runtime: closed and reused
//! descriptors. Two sockets become ready in one poll of the reactor; the
//! first task to run drops the other task's socket and opens a new pair,
//! one of which gets the dropped socket's descriptor number, and a third
//! and fourth task wait on the new pair. The stale readiness of the
//! dropped socket must reach nobody but the task it was for (which then
//! finds its socket gone), and a socket dropped while its task waits
//! wakes that task no more.
//!
//! One test function: it compares descriptor numbers, which another test
//! opening sockets alongside would disturb.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use simul_future::{AsyncRead, AsyncWrite, JoinHandle, Runtime, UnixStream, sleep, spawn};
use simul_testkit::fds::{FdSnapshot, assert_no_leaks};

/// A socket that another task may take away (and drop) between polls.
type Slot = Rc<RefCell<Option<UnixStream>>>;

fn slot(s: UnixStream) -> Slot {
    Rc::new(RefCell::new(Some(s)))
}

/// The open descriptors, by number. The directory listing's own
/// descriptor is left out: it is closed by the time `read_link` (which
/// opens nothing) is asked about it. So are files under `/proc` and
/// `/sys`, which glibc and std open for a moment on other threads (see
/// `simul_testkit::fds`).
fn open_fds() -> BTreeSet<u32> {
    let listed: Vec<u32> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    listed
        .into_iter()
        .filter(|n| {
            std::fs::read_link(format!("/proc/self/fd/{n}"))
                .is_ok_and(|target| !(target.starts_with("/proc/") || target.starts_with("/sys/")))
        })
        .collect()
}

/// A task reading one byte from the socket in `mine`, counting its polls;
/// `None` if the socket was taken away before the byte came.
fn reader(mine: Slot, polls: Rc<Cell<u32>>) -> JoinHandle<Option<u8>> {
    spawn(std::future::poll_fn(move |cx| {
        polls.set(polls.get() + 1);
        let mut guard = mine.borrow_mut();
        let Some(sock) = guard.as_mut() else { return Poll::Ready(None) };
        let mut byte = [0u8; 1];
        match Pin::new(sock).poll_read(cx, &mut byte) {
            Poll::Ready(Ok(1)) => Poll::Ready(Some(byte[0])),
            Poll::Ready(other) => panic!("unexpected read: {other:?}"),
            Poll::Pending => Poll::Pending,
        }
    }))
}

/// Writes one byte through the socket in `s` (it fits at once).
async fn poke(s: &Slot, byte: u8) {
    std::future::poll_fn(|cx| {
        let mut guard = s.borrow_mut();
        Pin::new(guard.as_mut().unwrap()).poll_write(cx, &[byte]).map(|r| assert_eq!(r.unwrap(), 1))
    })
    .await;
}

/// What the first contender to run did.
struct Won {
    /// The descriptor number of the socket it dropped.
    freed: u32,
    /// The numbers of the new pair.
    new: BTreeSet<u32>,
    /// The new pair.
    pair: (Slot, Slot),
}

/// A contender: reads a byte from `mine`; if it gets one first, drops
/// the socket in `other` and opens a new pair. `None` if it found its own
/// socket dropped by the other one.
fn contender(mine: Slot, other: Slot, polls: Rc<Cell<u32>>) -> JoinHandle<Option<Won>> {
    spawn(std::future::poll_fn(move |cx| {
        polls.set(polls.get() + 1);
        let mut guard = mine.borrow_mut();
        let Some(sock) = guard.as_mut() else { return Poll::Ready(None) };
        let mut byte = [0u8; 1];
        match Pin::new(sock).poll_read(cx, &mut byte) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => assert_eq!(r.unwrap(), 1),
        }
        let before = open_fds();
        drop(other.borrow_mut().take().expect("the other socket is still there"));
        let after = open_fds();
        let freed: Vec<u32> = before.difference(&after).copied().collect();
        assert_eq!(freed.len(), 1, "dropping one socket closes one descriptor");
        let (c0, c1) = UnixStream::pair().unwrap();
        let new = open_fds().difference(&after).copied().collect();
        Poll::Ready(Some(Won { freed: freed[0], new, pair: (slot(c0), slot(c1)) }))
    }))
}

#[test]
fn a_descriptor_reused_within_one_batch_gets_no_stale_wake_up() {
    let fds = FdSnapshot::take();
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let (x, x_peer) = UnixStream::pair().unwrap();
        let (y, y_peer) = UnixStream::pair().unwrap();
        let (x, y, x_peer, y_peer) = (slot(x), slot(y), slot(x_peer), slot(y_peer));
        let (x_polls, y_polls) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let hx = contender(x.clone(), y.clone(), x_polls.clone());
        let hy = contender(y.clone(), x.clone(), y_polls.clone());
        sleep(Duration::from_millis(5)).await; // both wait on their sockets
        assert_eq!((x_polls.get(), y_polls.get()), (1, 1));

        // Both sockets readable before the loop looks again: one batch.
        poke(&x_peer, b'x').await;
        poke(&y_peer, b'y').await;
        let (rx, ry) = (hx.await.unwrap(), hy.await.unwrap());
        let (won, lost_polls) = match (rx, ry) {
            (Some(won), None) => (won, y_polls.get()),
            (None, Some(won)) => (won, x_polls.get()),
            _ => panic!("exactly one contender must win"),
        };
        // The loser was woken by its own event of that batch, once, and
        // found its socket gone: the wake-up was queued before the drop.
        assert_eq!(lost_polls, 2, "the loser's one wake-up");
        assert!(won.new.contains(&won.freed), "the new pair did not reuse {}", won.freed);

        // Two tasks wait on the new pair, one on the reused number. The
        // stale event (and the dropped socket) must not wake them.
        let (c0, c1) = won.pair;
        let (d0_polls, d1_polls) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let d0 = reader(c0.clone(), d0_polls.clone());
        let d1 = reader(c1.clone(), d1_polls.clone());
        sleep(Duration::from_millis(20)).await;
        assert_eq!(
            (d0_polls.get(), d1_polls.get()),
            (1, 1),
            "a stale wake-up reached the new socket"
        );
        // Each is woken by its own data, once.
        poke(&c1, b'0').await;
        assert_eq!(d0.await.unwrap(), Some(b'0'));
        assert_eq!(d0_polls.get(), 2);
        poke(&c0, b'1').await;
        assert_eq!(d1.await.unwrap(), Some(b'1'));
        assert_eq!(d1_polls.get(), 2);

        // A socket dropped while a task waits on it wakes that task no
        // more: not when its peer writes, not when its peer closes.
        let (e, e_peer) = UnixStream::pair().unwrap();
        let (e, e_peer) = (slot(e), slot(e_peer));
        let e_polls = Rc::new(Cell::new(0));
        let he = reader(e.clone(), e_polls.clone());
        sleep(Duration::from_millis(5)).await;
        assert_eq!(e_polls.get(), 1);
        drop(e.borrow_mut().take());
        let write = std::future::poll_fn(|cx| {
            Pin::new(e_peer.borrow_mut().as_mut().unwrap()).poll_write(cx, b"late")
        })
        .await;
        assert!(write.is_err(), "the peer is closed: {write:?}");
        drop(e_peer.borrow_mut().take());
        sleep(Duration::from_millis(20)).await;
        assert_eq!(e_polls.get(), 1, "a dropped socket woke its task");
        assert!(!he.is_finished());
        he.abort();
        assert!(he.await.unwrap_err().is_cancelled());

        for s in [&x, &y, &x_peer, &y_peer, &c0, &c1] {
            drop(s.borrow_mut().take());
        }
    })
    .unwrap();
    drop(rt);
    assert_no_leaks(&fds);
}
