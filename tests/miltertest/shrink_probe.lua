-- One message from bad@phish.example, for the shrink-guard test (tests/cli/feed_shrink_test.sh):
-- GFI_EXPECT = "match" wants it quarantined (store mode: discarded at the MTA), "clean" wants it
-- through untouched.
dofile(os.getenv("GFI_LUA_DIR") .. "/common.lua")
local conn = open()
step(mt.conninfo(conn, "client.example", "192.0.2.1"), "conninfo")
step(mt.helo(conn, "client.example"), "helo")
mt.macro(conn, SMFIC_MAIL, "i", "SHRINKQID")
step(mt.mailfrom(conn, "<bad@phish.example>"), "mailfrom")
step(mt.rcptto(conn, "<rcpt@example.com>"), "rcptto")
step(mt.header(conn, "From", "<bad@phish.example>"), "header")
step(mt.header(conn, "Subject", "shrink probe"), "header")
step(mt.eoh(conn), "eoh")
step(mt.bodystring(conn, "hello\r\n"), "body")
step(mt.eom(conn), "eom")
if os.getenv("GFI_EXPECT") == "match" then
  expect(conn, SMFIR_DISCARD, "the feed's indicator matches: quarantined")
else
  expect(conn, SMFIR_CONTINUE, "no indicator matches: the message goes through")
end
mt.disconnect(conn)
