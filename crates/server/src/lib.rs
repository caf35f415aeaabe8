//! The REST + WebSocket server.
