//! A TCP server on loopback for test doubles (the fault proxy, the token server, blob
//! storage on another host):
//! each connection is handled on its own thread, and the accept loop ends when the
//! server is dropped.

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

pub struct LoopbackServer {
    pub port: u16,
    ip: &'static str,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    pub fn start(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> LoopbackServer {
        LoopbackServer::start_on("127.0.0.1", handle)
    }

    /// On another loopback address (`127.0.0.2`): another host, as far as a client's
    /// redirect and credential rules go.
    pub fn start_on(
        ip: &'static str,
        handle: impl Fn(TcpStream) + Send + Sync + 'static,
    ) -> LoopbackServer {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let handle = Arc::new(handle);
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let handle = handle.clone();
                    std::thread::spawn(move || handle(stream));
                }
            })
        };
        LoopbackServer {
            port,
            ip,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect((self.ip, self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
