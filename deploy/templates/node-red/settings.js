// Node-RED settings, rendered by `cargo xtask deploy`. The editor and admin API require a
// login: user "admin", password from NODE_RED_ADMIN_PASSWORD (the rendered .env).
const crypto = require("crypto");

function sameSecret(given, expected) {
    const a = Buffer.from(String(given || ""));
    const b = Buffer.from(String(expected || ""));
    return expected && a.length === b.length && crypto.timingSafeEqual(a, b);
}

module.exports = {
    uiPort: 1880,
    userDir: "/data",
    flowFile: "flows.json",
    credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET,
    adminAuth: {
        type: "credentials",
        users: function (username) {
            return Promise.resolve(username === "admin" ? { username: "admin", permissions: "*" } : null);
        },
        authenticate: function (username, password) {
            const ok = username === "admin" && sameSecret(password, process.env.NODE_RED_ADMIN_PASSWORD);
            return Promise.resolve(ok ? { username: "admin", permissions: "*" } : null);
        },
    },
    diagnostics: { enabled: false },
    logging: { console: { level: "info", metrics: false, audit: false } },
};
