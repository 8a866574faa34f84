-- An MTA that offers fewer actions and sends no macros: hold-mode quarantine cannot be carried
-- out, so the message gets on_error (tempfail) instead of being accepted or lost.
dofile(os.getenv("GFI_LUA_DIR") .. "/common.lua")
local conn = mt.connect(sock, 40, 0.25)
check(conn ~= nil, "connect")
step(mt.negotiate(conn, 6, SMFIF_ADDHDRS, 0), "negotiate without SMFIF_QUARANTINE")
step(mt.conninfo(conn, "client.example", "192.0.2.1"), "conninfo")
step(mt.mailfrom(conn, "<bad@phish.example>"), "mailfrom")
step(mt.rcptto(conn, "<rcpt@example.com>"), "rcpt")
step(mt.eoh(conn), "eoh")
step(mt.eom(conn), "eom")
expect(conn, SMFIR_REPLYCODE, "quarantine not allowed by the MTA: tempfail")
mt.disconnect(conn)
