//! Replies in command order.
//!
//! Every command gets one place in line (LMTP's end of data gets one per recipient).
//! The machine fills its own places at once; the application fills the others in any
//! order. Bytes leave only from the head of the line, so replies always go out in the
//! order of the commands (RFC 2920 §3.2 (1)) whatever order the application answers in.

use std::collections::VecDeque;

#[derive(Debug)]
struct Slot {
    id: u64,
    reply: Option<Vec<u8>>,
}

#[derive(Debug, Default)]
pub(crate) struct Outbox {
    /// Places from the first one still waiting for the application onwards.
    slots: VecDeque<Slot>,
    /// Replies free to leave, in order.
    ready: Vec<u8>,
}

impl Outbox {
    /// Queues a reply known now.
    pub(crate) fn push(&mut self, reply: &[u8]) {
        if self.slots.is_empty() {
            self.ready.extend_from_slice(reply);
        } else {
            self.slots.push_back(Slot {
                id: 0,
                reply: Some(reply.to_vec()),
            });
        }
    }

    /// Queues a place for a reply the application owes under `id` (never 0).
    pub(crate) fn reserve(&mut self, id: u64) {
        self.slots.push_back(Slot { id, reply: None });
    }

    /// Fills the first open place of `id`; false when there is none.
    pub(crate) fn fill(&mut self, id: u64, reply: Vec<u8>) -> bool {
        let Some(slot) = self
            .slots
            .iter_mut()
            .find(|slot| slot.reply.is_none() && slot.id == id)
        else {
            return false;
        };
        slot.reply = Some(reply);
        while let Some(Slot { reply: Some(_), .. }) = self.slots.front() {
            if let Some(Slot {
                reply: Some(bytes), ..
            }) = self.slots.pop_front()
            {
                self.ready.extend_from_slice(&bytes);
            }
        }
        true
    }

    /// Drops every place still waiting for the application (when the session closes
    /// at the application's request); the replies after them may leave.
    pub(crate) fn abandon_open_places(&mut self) {
        for slot in self.slots.drain(..) {
            if let Some(bytes) = slot.reply {
                self.ready.extend_from_slice(&bytes);
            }
        }
    }

    /// True while a place waits for the application.
    pub(crate) fn has_open_places(&self) -> bool {
        !self.slots.is_empty()
    }

    /// Moves the replies free to leave into `out`; returns how many octets.
    pub(crate) fn transmit(&mut self, out: &mut Vec<u8>) -> usize {
        let count = self.ready.len();
        out.append(&mut self.ready);
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(outbox: &mut Outbox) -> String {
        let mut out = Vec::new();
        let _ = outbox.transmit(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn replies_leave_in_command_order_whatever_the_answer_order() {
        let mut outbox = Outbox::default();
        outbox.push(b"A\r\n");
        outbox.reserve(1);
        outbox.reserve(2);
        outbox.push(b"D\r\n");
        outbox.reserve(3);
        assert_eq!(drain(&mut outbox), "A\r\n");
        assert!(outbox.fill(3, b"E\r\n".to_vec()));
        assert!(outbox.fill(2, b"C\r\n".to_vec()));
        assert_eq!(drain(&mut outbox), "");
        assert!(outbox.fill(1, b"B\r\n".to_vec()));
        assert_eq!(drain(&mut outbox), "B\r\nC\r\nD\r\nE\r\n");
        assert!(!outbox.has_open_places());
        assert!(!outbox.fill(1, b"again".to_vec()));
    }

    #[test]
    fn places_of_one_id_fill_in_order() {
        let mut outbox = Outbox::default();
        outbox.reserve(7);
        outbox.reserve(7);
        assert!(outbox.fill(7, b"1\r\n".to_vec()));
        assert_eq!(drain(&mut outbox), "1\r\n");
        assert!(outbox.has_open_places());
        assert!(outbox.fill(7, b"2\r\n".to_vec()));
        assert_eq!(drain(&mut outbox), "2\r\n");
        assert!(!outbox.fill(7, b"3\r\n".to_vec()));
    }

    #[test]
    fn abandoning_releases_what_follows() {
        let mut outbox = Outbox::default();
        outbox.reserve(1);
        outbox.push(b"421\r\n");
        assert_eq!(drain(&mut outbox), "");
        outbox.abandon_open_places();
        assert_eq!(drain(&mut outbox), "421\r\n");
    }
}
