"""The gRPC-JSON transcoder's refusals of a REST request, in words a person understands.

Envoy's transcoder checks query parameters and JSON fields against the contract itself
and answers a 400 in protobuf's terms: ``seed: invalid value "-1" for type TYPE_UINT32``,
``Could not find field "colour" in the type "expertmusic.studio.v1.CreateTakeRequest".``
It has no setting for its wording, and a local reply's body can only be replaced
whole, not rewritten (``local_reply_config`` matches on status and headers, never on
the body). So a Lua filter, placed before the transcoder so that the transcoder's own
answers pass through it, rewrites those two sentences in the JSON errors the gateway
sends (``gateway.config._local_reply_config`` gives them their JSON shape):

- ``'seed' must be a whole number from 0 to 4294967295, not "-1"``
- ``'melody.notes[0].onset_s' must be a number, not "x"`` (a JSON path, from 0)
- ``the keys of 'line_texts' must each be a whole number, not "abc"``
- ``unknown query parameter 'colour'; the parameters are: genre, lyrics_provider, ...``
- ``'line_texts' must be an object of keys and values, not a list`` (and not "hello")
- ``'melody' must be an object, not "x"``; ``'melody.notes' must be a list of objects``
- ``'title' must be one value, not an object``; ``a field of 'melody' takes one value,
  not a list``; ``the request body must be a JSON object``
- ``the request body is not valid JSON: Expected : between key:value pair.`` (without
  the transcoder's echo of the body)

The fields each request takes come from the descriptor set the transcoder reads, so
the list is the contract's. Only 400 answers with a JSON body are read (the services'
own 400s do not use these sentences and pass unchanged); nothing else is buffered.

The same filter, with the REST routes of the contract's ``google.api.http`` rules:

- answers a path called with a method it does not take (which the transcoder answers
  as a path that does not exist, 404 "Could not resolve ... to a method.") with a 405,
  an ``allow`` header and ``/v1/lyrics:write is called with POST, not with GET``;
- passes a HEAD on a path that takes GET on as that GET (Envoy sends no body back);
- drops the query string of a request for the studio page or its files, which links
  pick up (``?utm_source=...``) and the transcoder would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from google.api import annotations_pb2
from google.protobuf import descriptor_pb2

#: What a value of each protobuf scalar type must be, as the message says it.
KIND_OF_TYPE = {
    "DOUBLE": "a number",
    "FLOAT": "a number",
    "INT32": "a whole number",
    "INT64": "a whole number",
    "SINT32": "a whole number",
    "SINT64": "a whole number",
    "SFIXED32": "a whole number",
    "SFIXED64": "a whole number",
    # The bounds say what is wrong with a number too large as with one below 0.
    "UINT32": "a whole number from 0 to 4294967295",
    "UINT64": "a whole number, 0 or more",
    "FIXED32": "a whole number from 0 to 4294967295",
    "FIXED64": "a whole number, 0 or more",
    "BOOL": "true or false",
    "ENUM": "one of its named values",
    "STRING": "text",
    "BYTES": "base64 text",
}

_LUA_BODY = r"""
local function kind_of(type_name)
  return KINDS[type_name] or ("a value of type " .. string.lower(type_name))
end

-- A field as the transcoder names it ("seed", "melody.notes[0].onset_s", a map's
-- "line_texts[0].key"), as a person reads it: a map's keys and values are named as such
-- ([0] is the entry's place in the JSON object, not its key).
local function named(field)
  local map = string.match(field, "^(.-)%[%d+%]%.key$")
  if map ~= nil then
    return "the keys of '" .. map .. "' must each be"
  end
  map = string.match(field, "^(.-)%[%d+%]%.value$")
  if map ~= nil then
    return "the values of '" .. map .. "' must each be"
  end
  return "'" .. field .. "' must be"
end

local function joined(prefix, field)
  if prefix == "" then
    return field
  end
  return prefix .. "." .. field
end

-- A message field given something else: an object, or a list of objects where the
-- contract has many ("melody.notes": "x"; "melody.notes[0]": 1 is one of its objects).
local function object_of(field)
  local last = string.match(field, "([%w_]+)$")
  if last ~= nil and REPEATED[last] then
    return "'" .. field .. "' must be a list of objects"
  end
  return "'" .. field .. "' must be an object"
end

-- A JSON syntax error ("Expected : between key:value pair.\n{bad json\n     ^"): its
-- first sentence, without the transcoder's echo of the body.
local SYNTAX_WORDS = {"Expected", "Unexpected", "Invalid", "Unable", "Unterminated", "Illegal"}
local function syntax_reworded(text)
  local start, stop, first = string.find(text, [=["message":"([^"\]*)\n]=])
  if start == nil then
    return text
  end
  local known = false
  for _, word in ipairs(SYNTAX_WORDS) do
    if string.sub(first, 1, #word) == word then
      known = true
    end
  end
  if not known then
    return text
  end
  -- The message's string runs to its first quote that no backslash escapes.
  local i = stop + 1
  while true do
    local char = string.sub(text, i, i)
    if char == "" then
      return text
    elseif char == "\\" then
      i = i + 2
    elseif char == '"' then
      break
    else
      i = i + 1
    end
  end
  return string.sub(text, 1, start - 1) .. [["message":"the request body is not valid JSON: ]]
    .. first .. string.sub(text, i)
end

local function reworded(text)
  -- ("\" is no escape in a Lua pattern: \" matches the JSON-escaped quote as it is.)
  -- ([=[ ]=] brackets: the pattern holds "]]".)
  -- A map ("line_texts") given a list, or text or a number instead of its entries.
  text = string.gsub(text,
    [=[([%w_%.%[%]]*): invalid value Cannot bind a list to map for field '([%w_]+)'%. for ]=]
      .. "type Map",
    function(prefix, field)
      return "'" .. joined(prefix, field) .. "' must be an object of keys and values, not a list"
    end)
  text = string.gsub(text,
    [=[([%w_%.%[%]]+): invalid value (.-) for type type%.googleapis%.com/[%w_%.]-Entry]=],
    function(field, value)
      return "'" .. field .. "' must be an object of keys and values, not " .. value
    end)
  -- A message field given text or a number.
  text = string.gsub(text,
    [=[([%w_%.%[%]]+): invalid value (.-) for type type%.googleapis%.com/[%w_%.]+]=],
    function(field, value)
      return object_of(field) .. ", not " .. value
    end)
  -- One value given an object, or a list.
  text = string.gsub(text,
    [=[([%w_%.%[%]]*): invalid value Starting an object on a scalar field for type ([%w_]+)]=],
    function(prefix, field)
      return "'" .. joined(prefix, field) .. "' must be one value, not an object"
    end)
  text = string.gsub(text, [=[([%w_%.%[%]]*): Proto field is not repeating, cannot start list%.]=],
    function(prefix)
      if prefix == "" then
        return "a field of the request takes one value, not a list"
      end
      return "a field of '" .. prefix .. "' takes one value, not a list"
    end)
  text = string.gsub(text, [=[: Root element must be a message%.]=],
    "the request body must be a JSON object ({...}), not a list or a single value")
  text = syntax_reworded(text)
  text = string.gsub(text, [=[([%w_%.%[%]]+): invalid value \"(.-)\" for type TYPE_(%w+)]=],
    function(field, value, type_name)
      return named(field) .. " " .. kind_of(type_name) .. [[, not \"]] .. value .. [[\"]]
    end)
  -- A JSON number or literal where text was expected: "invalid value 5 for type ...".
  text = string.gsub(text, [=[([%w_%.%[%]]+): invalid value ([^%s\"]+) for type TYPE_(%w+)]=],
    function(field, value, type_name)
      return named(field) .. " " .. kind_of(type_name) .. ", not " .. value
    end)
  text = string.gsub(text, [[Could not find field \"(.-)\" in the type \"(.-)\"%.]],
    function(field, type_name)
      local known = FIELDS[type_name]
      local answer = "unknown query parameter '" .. field .. "'"
      if known ~= nil then
        answer = answer .. "; the parameters are: " .. known
      end
      return answer
    end)
  return text
end

-- The HTTP methods the contract binds to a REST path, as a set, or nil for a path no
-- endpoint has.
local function bound_methods(path)
  local found = nil
  for _, route in ipairs(ROUTES) do
    if string.find(path, route[1]) ~= nil then
      found = found or {}
      for method in string.gmatch(route[2], "[A-Z]+") do
        found[method] = true
      end
    end
  end
  return found
end

-- Before the transcoder reads a request:
-- - a path called with a method it does not take is answered 405 here, with ``allow``
--   (the transcoder would answer it as a path that does not exist: 404, "Could not
--   resolve /v1/lyrics:write to a method.");
-- - HEAD asks for a GET's headers without its body (link checkers, download managers);
--   the transcoder maps only the methods the contract binds, so a HEAD on a path that
--   takes GET goes on as a GET. Envoy sends no body back to a HEAD request, whatever
--   the answer holds;
-- - links to the studio page pick up query parameters the page does not read
--   ("?utm_source=...", "?fbclid=...", a cache-busting "?v=2"), which the transcoder
--   would refuse as unknown, as it should for the API: the page's requests lose their
--   query. Routes match on the path alone, so the route stays the same.
function envoy_on_request(handle)
  local headers = handle:headers()
  local method = headers:get(":method")
  local full_path = headers:get(":path")
  local path = string.gsub(full_path, "%?.*$", "")
  local bound = bound_methods(path)
  if bound ~= nil and not bound[method] and method ~= "OPTIONS" then
    if method == "HEAD" and bound["GET"] then
      headers:replace(":method", "GET")
    else
      local allowed = {}
      for name, _ in pairs(bound) do
        table.insert(allowed, name)
      end
      if bound["GET"] and not bound["HEAD"] then
        table.insert(allowed, "HEAD")
      end
      table.sort(allowed)
      -- The gateway's local replies are JSON of a code and this message (see
      -- gateway.config._local_reply_config).
      local message = ""
      if method ~= "HEAD" then
        message = path .. " is called with " .. table.concat(allowed, " or ")
          .. ", not with " .. method
      end
      handle:respond({[":status"] = "405", ["allow"] = table.concat(allowed, ", ")}, message)
      return
    end
  end
  if (method == "GET" or method == "HEAD") and path ~= full_path
      and (path == PAGE or string.sub(path, 1, #PAGE + 1) == PAGE .. "/") then
    headers:replace(":path", path)
  end
end

function envoy_on_response(handle)
  local headers = handle:headers()
  if headers:get(":status") ~= "400" then
    return
  end
  local content_type = headers:get("content-type")
  if content_type == nil or string.find(content_type, "application/json", 1, true) ~= 1 then
    return
  end
  local body = handle:body()
  if body == nil then
    return
  end
  local text = body:getBytes(0, body:length())
  local new_text = reworded(text)
  if new_text ~= text then
    body:setBytes(new_text)
  end
end
"""


def request_fields(
    descriptor_set: descriptor_pb2.FileDescriptorSet, services: Iterable[str]
) -> dict[str, list[str]]:
    """Each request message of ``services``' methods -> the names of its fields that a
    query parameter can set (scalars and enums; not messages or repeated fields)."""
    messages = {
        f"{file.package}.{message.name}": message
        for file in descriptor_set.file
        for message in file.message_type
    }
    fields: dict[str, list[str]] = {}
    for method in _methods(descriptor_set, services):
        name = method.input_type.lstrip(".")
        message = messages.get(name)
        if message is None:
            continue
        fields[name] = sorted(
            field.name
            for field in message.field
            if field.type != descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
            and field.label != descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
        )
    return fields


def _methods(
    descriptor_set: descriptor_pb2.FileDescriptorSet, services: Iterable[str]
) -> Iterator[descriptor_pb2.MethodDescriptorProto]:
    """The methods of ``services`` (full names) in the descriptor set."""
    wanted = set(services)
    for file in descriptor_set.file:
        for service in file.service:
            if f"{file.package}.{service.name}" in wanted:
                yield from service.method


def repeated_message_fields(descriptor_set: descriptor_pb2.FileDescriptorSet) -> list[str]:
    """The names of the contract's fields that hold a list of messages ("notes", "lines"):
    the filter names them as lists of objects. Map fields, which protobuf declares as
    repeated entry messages, are not among them."""
    maps = {
        message.name
        for file in descriptor_set.file
        for top in file.message_type
        for message in top.nested_type
        if message.options.map_entry
    }
    return sorted(
        {
            field.name
            for file in descriptor_set.file
            for message in file.message_type
            for field in message.field
            if field.type == descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
            and field.label == descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
            and field.type_name.rsplit(".", 1)[-1] not in maps
        }
    )


def rest_routes(
    descriptor_set: descriptor_pb2.FileDescriptorSet, services: Iterable[str]
) -> dict[str, list[str]]:
    """Each REST path template of ``services``' methods (their ``google.api.http`` rules
    and additional bindings) -> the HTTP methods it answers, sorted:
    ``"/v1/takes/{take_id}:revise" -> ["POST"]``."""
    routes: dict[str, set[str]] = {}
    for method in _methods(descriptor_set, services):
        if not method.options.HasExtension(annotations_pb2.http):
            continue
        rule = method.options.Extensions[annotations_pb2.http]
        for binding in (rule, *rule.additional_bindings):
            kind = binding.WhichOneof("pattern")
            if kind == "custom":
                verb, path = binding.custom.kind, binding.custom.path
            elif kind is not None:
                verb, path = kind.upper(), getattr(binding, kind)
            else:
                continue
            routes.setdefault(path, set()).add(verb)
    return {path: sorted(verbs) for path, verbs in sorted(routes.items())}


def lua_pattern(template: str) -> str:
    """A REST path template as an anchored Lua pattern: ``{name}`` is one path segment,
    ``{name=**}`` any rest of the path, every other character itself."""
    pattern = ""
    for literal, variable in re.findall(r"([^{]*)(\{[^}]*\})?", template):
        pattern += re.sub(r"([^\w/])", r"%\1", literal)
        if variable:
            pattern += ".*" if variable.endswith("=**}") else "[^/:]+"
    return f"^{pattern}$"


def lua_source(
    descriptor_set: descriptor_pb2.FileDescriptorSet,
    services: Iterable[str],
    page_path: str,
) -> str:
    """The Lua filter's code: the tables of kinds, fields, list fields and REST routes,
    the path of the studio page (``gateway.config.WEB_PAGE_PATH``), then the functions."""
    kinds = ",\n".join(f'  ["{name}"] = "{kind}"' for name, kind in sorted(KIND_OF_TYPE.items()))
    fields = ",\n".join(
        f'  ["{message}"] = "{", ".join(names)}"'
        for message, names in sorted(request_fields(descriptor_set, services).items())
        if names
    )
    repeated = ",\n".join(
        f'  ["{name}"] = true' for name in repeated_message_fields(descriptor_set)
    )
    routes = ",\n".join(
        f'  {{"{lua_pattern(path)}", "{", ".join(methods)}"}}'
        for path, methods in rest_routes(descriptor_set, services).items()
    )
    return (
        f"local KINDS = {{\n{kinds}\n}}\nlocal FIELDS = {{\n{fields}\n}}\n"
        f"local REPEATED = {{\n{repeated}\n}}\nlocal ROUTES = {{\n{routes}\n}}\n"
        f'local PAGE = "{page_path}"\n{_LUA_BODY}'
    )
