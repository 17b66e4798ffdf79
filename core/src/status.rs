/// The outcome of a stateless decode over a byte buffer.
///
/// Incomplete input is not an error: the caller keeps the bytes and tries again once more
/// have arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status<T> {
    /// A whole value was decoded from the first `consumed` bytes of the input.
    Complete {
        /// The decoded value.
        value: T,
        /// How many input bytes the value took, line end included.
        consumed: usize,
    },
    /// The input ends before the value does; feed more bytes.
    Partial,
}

impl<T> Status<T> {
    /// Maps the value of a complete decode, keeping `consumed`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Status<U> {
        match self {
            Status::Complete { value, consumed } => Status::Complete {
                value: f(value),
                consumed,
            },
            Status::Partial => Status::Partial,
        }
    }

    /// The value and the consumed length, or `None` when partial.
    pub fn complete(self) -> Option<(T, usize)> {
        match self {
            Status::Complete { value, consumed } => Some((value, consumed)),
            Status::Partial => None,
        }
    }

    /// True when more input is needed.
    pub fn is_partial(&self) -> bool {
        matches!(self, Status::Partial)
    }
}
