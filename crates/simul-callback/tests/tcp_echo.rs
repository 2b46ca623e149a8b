//! An echo server on loopback: every byte comes back, from many clients
//! at once, and every connection ends with connection_lost(None).

mod util;

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::rc::Rc;
use std::thread;

use simul_callback::{EventLoop, Protocol, Transport};

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
