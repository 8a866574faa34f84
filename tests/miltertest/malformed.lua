-- Hostile input through the protocol: huge and binary header values, thousands of headers, NUL
-- and 8-bit bytes in the body, a broken MIME structure, a body over max_message_bytes.
dofile(os.getenv("GFI_LUA_DIR") .. "/common.lua")
local conn = open()
step(mt.conninfo(conn, "client.example", "192.0.2.1"), "conninfo")
step(mt.mailfrom(conn, "<ok@example.org>"), "mailfrom")
step(mt.rcptto(conn, "<rcpt@example.com>"), "rcpt")
step(mt.header(conn, "Subject", string.rep("=?utf-8?B?AAAA?= ", 50)), "huge header")
for i = 1, 3000 do
  step(mt.header(conn, "X-Junk-" .. i, "\1\2\3\255\254 value\n\twith fold"), "junk header")
end
step(mt.header(conn, "Content-Type", 'multipart/mixed; boundary="b"'), "ct")
step(mt.eoh(conn), "eoh")
-- (miltertest itself crashes on a header value over about 1 KiB or a body chunk over 64 KiB, and
-- cuts strings at a NUL: the input stays within those limits; NULs are covered by the fuzzers.)
step(mt.bodystring(conn, "--b\r\nContent-Type: text/html\r\n\r\n<a href=http://www.evil.example/>"),
     "body")
for i = 1, 5 do step(mt.bodystring(conn, string.rep("<b>", 15000)), "deep html") end
step(mt.bodystring(conn, "\1\255\r\n--b\r\nContent-Transfer-Encoding:" ..
                   " base64\r\n\r\n!!!!not base64!!!!\r\n"), "body")
step(mt.eom(conn), "eom")
expect(conn, SMFIR_REPLYCODE, "the indicator inside the broken structure is still found")

-- Over max_message_bytes (configured 2 MiB here): cannot be scanned whole -> on_error (tempfail).
step(mt.mailfrom(conn, "<ok@example.org>"), "mailfrom big")
step(mt.rcptto(conn, "<rcpt@example.com>"), "rcpt big")
step(mt.eoh(conn), "eoh big")
for i = 1, 40 do step(mt.bodyrandom(conn, 60000), "body big") end
step(mt.eom(conn), "eom big")
expect(conn, SMFIR_REPLYCODE, "oversize message: on_error = tempfail")
mt.disconnect(conn)
