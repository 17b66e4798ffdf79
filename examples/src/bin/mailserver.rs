//! The mailwire reference mail server.
#![forbid(unsafe_code)]

fn main() {
    println!("mailserver: the listeners are being written (issue 6)");
}
