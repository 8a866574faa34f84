-- Run after run.sh removed the spool directory: a message too big for memory cannot be spooled;
-- the error (met in a body callback, which over a unix socket gets no reply) is answered at the
-- end of the message with on_error (tempfail), never an accept.
dofile(os.getenv("GFI_LUA_DIR") .. "/common.lua")
local conn = open()
step(mt.conninfo(conn, "client.example", "192.0.2.1"), "conninfo")
step(mt.mailfrom(conn, "<ok@example.org>"), "mailfrom")
step(mt.rcptto(conn, "<rcpt@example.com>"), "rcpt")
step(mt.header(conn, "Subject", "spool me"), "header")
step(mt.eoh(conn), "eoh")
-- Over TCP the failing body chunk is answered at once (451); over a unix socket at the end.
local answered = false
for i = 1, 4 do
  step(mt.bodyrandom(conn, 60000), "body")
  if mt.getreply(conn) == SMFIR_REPLYCODE then
    answered = true
    break
  end
end
if not answered then
  step(mt.eom(conn), "eom")
  expect(conn, SMFIR_REPLYCODE, "spool failure: on_error tempfail")
end
mt.disconnect(conn)
