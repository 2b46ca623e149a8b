//! An echo server on loopback: every byte comes back, from many clients
//! at once, and every connection ends with connection_lost(None). Empty
//! writes are harmless, and a used port is `AddrInUse`.

mod util;

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::rc::Rc;
use std::thread;

use simul_callback::{Deferred, EventLoop, Protocol, Transport};

#[derive(Default)]
struct Stats {
    made: usize,
    lost_clean: usize,
    lost_error: usize,
    bytes: usize,
}

struct Echo(Rc<RefCell<Stats>>);

impl Protocol for Echo {
    fn connection_made(&mut self, _: &mut EventLoop, _: &Transport) {
        self.0.borrow_mut().made += 1;
    }
    fn data_received(&mut self, _: &mut EventLoop, t: &Transport, data: &[u8]) {
        self.0.borrow_mut().bytes += data.len();
        t.write(data).unwrap();
    }
    fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
        let mut s = self.0.borrow_mut();
        if error.is_some() { s.lost_error += 1 } else { s.lost_clean += 1 }
    }
}

fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

#[test]
fn ten_clients_get_every_byte_back() {
    const CLIENTS: usize = 10;
    const LEN: usize = 256 * 1024;
    let mut lp = EventLoop::new().unwrap();
    let stats = Rc::new(RefCell::new(Stats::default()));
    let s = stats.clone();
    let server = lp.create_server("127.0.0.1:0", move || Box::new(Echo(s.clone()))).unwrap();
    let addr = server.local_addr();
    let handle = lp.handle();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let handle = handle.clone();
            thread::spawn(move || {
                let mut sock = TcpStream::connect(addr).unwrap();
                let data = pattern(c as u8, LEN);
                let mut w = sock.try_clone().unwrap();
                let sent = data.clone();
                // Write and read at once: the echo would fill both buffers
                // if one side waited for the other.
                let writer = thread::spawn(move || w.write_all(&sent).unwrap());
                let mut back = vec![0; LEN];
                sock.read_exact(&mut back).unwrap();
                writer.join().unwrap();
                assert!(back == data, "client {c}: bytes differ");
                drop(sock);
                handle.call_soon_threadsafe(|_| {}).unwrap();
            })
        })
        .collect();
    drop(handle);
    let st = stats.clone();
    lp.run_until(move |_| st.borrow().lost_clean + st.borrow().lost_error == CLIENTS).unwrap();
    for c in clients {
        c.join().unwrap();
    }
    let s = stats.borrow();
    assert_eq!(s.made, CLIENTS);
    assert_eq!(s.lost_clean, CLIENTS);
    assert_eq!(s.bytes, CLIENTS * LEN);
    server.close();
}

/// A client of the loop that writes `chunks` (empty ones included), then
/// half-closes, and collects what comes back until the end.
struct Chunks {
    chunks: Vec<&'static [u8]>,
    got: Vec<u8>,
    done: Deferred<(Vec<u8>, Option<io::ErrorKind>)>,
}

impl Protocol for Chunks {
    fn connection_made(&mut self, _: &mut EventLoop, t: &Transport) {
        for chunk in &self.chunks {
            let before = t.write_buffer_size();
            t.write(chunk).unwrap();
            if chunk.is_empty() {
                assert_eq!(t.write_buffer_size(), before, "an empty write buffered something");
            }
        }
        t.write_eof().unwrap();
    }
    fn data_received(&mut self, _: &mut EventLoop, _: &Transport, data: &[u8]) {
        assert!(!data.is_empty(), "data_received with no data");
        self.got.extend_from_slice(data);
    }
    fn connection_lost(&mut self, _: &mut EventLoop, error: Option<io::Error>) {
        let _ = self.done.set_result((std::mem::take(&mut self.got), error.map(|e| e.kind())));
    }
}

/// Reliability item 27: `Transport::write(b"")` is accepted and sends
/// nothing, before, between and after real bytes, on both ends of a
/// connection (the echo server writes back exactly what it gets, so an
/// empty write there would show as an empty `data_received`).
#[test]
fn empty_writes_send_nothing_and_the_bytes_around_them_arrive() {
    let mut lp = EventLoop::new().unwrap();
    let stats = Rc::new(RefCell::new(Stats::default()));
    let s = stats.clone();
    let server = lp.create_server("127.0.0.1:0", move || Box::new(Echo(s.clone()))).unwrap();
    let done = Deferred::new();
    let client = Chunks {
        chunks: vec![b"", b"ab", b"", b"", b"c", b""],
        got: Vec::new(),
        done: done.clone(),
    };
    lp.create_connection(server.local_addr(), client).unwrap();
    let (got, error) = lp.run_until_complete(&done).unwrap();
    assert_eq!((got.as_slice(), error), (&b"abc"[..], None));
    let st = stats.clone();
    lp.run_until(move |_| st.borrow().lost_clean == 1).unwrap();
    assert_eq!(stats.borrow().bytes, 3);
    server.close();
}

/// Reliability item 27: listening on an address another listener holds
/// (one of the loop's servers, or a std listener) is `AddrInUse`; the
/// server that holds it goes on serving.
#[test]
fn listening_on_a_used_address_is_addr_in_use() {
    let mut lp = EventLoop::new().unwrap();
    let stats = Rc::new(RefCell::new(Stats::default()));
    let s = stats.clone();
    let server = lp.create_server("127.0.0.1:0", move || Box::new(Echo(s.clone()))).unwrap();
    let used = server.local_addr();
    let err = lp.create_server(used, move || Box::new(Echo(Rc::default()))).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = lp
        .create_server(held.local_addr().unwrap(), move || Box::new(Echo(Rc::default())))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
    drop(held);

    let done = Deferred::new();
    let client = Chunks { chunks: vec![b"still serving"], got: Vec::new(), done: done.clone() };
    lp.create_connection(used, client).unwrap();
    let (got, error) = lp.run_until_complete(&done).unwrap();
    assert_eq!((got.as_slice(), error), (&b"still serving"[..], None));
    server.close();
}
