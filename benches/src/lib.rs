//! Shared corpus generators for the mailwire benches.
