-- Shared helpers for the miltertest scripts: connect to the gfi-milter under test (GFI_SOCKET)
-- and fail loudly with what was expected.
sock = os.getenv("GFI_SOCKET")

-- miltertest does not print a script's errors: say what failed before raising.
function check(ok, what)
  if not ok then
    print("FAILED: " .. what)
    error(what)
  end
end

function open()
  local conn = mt.connect(sock, 40, 0.25)
  check(conn ~= nil, "connect to " .. sock)
  return conn
end

function step(r, what)
  check(r == nil, what .. " failed: " .. tostring(r))
end

function expect(conn, want, what)
  local got = mt.getreply(conn)
  check(got == want, what .. ": reply " .. tostring(got) .. ", expected " .. tostring(want))
end
