//! Item 3: sign-in, device-code, registration and client-authentication throttles shared by every node.
