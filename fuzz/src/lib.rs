//! Shared helpers of the mailwire fuzz targets.
