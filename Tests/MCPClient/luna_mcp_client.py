"""An independent MCP client for `luna mcp`: the official MCP Python SDK (`mcp` on
PyPI), spawning the real built binary over stdio. Not part of Luna; the Swift test
MCPClientTests runs it from its own virtualenv and checks the JSON it prints.

    python luna_mcp_client.py explore LUNA CONFIG HOST   every mode, every tool, resources, prompt
    python luna_mcp_client.py propose LUNA CONFIG JSON   one propose call (arguments as JSON)
    python luna_mcp_client.py calls   LUNA CONFIG JSON   [[tool, arguments], ...] on one connection
    python luna_mcp_client.py follow  LUNA CONFIG ID     the proposal tool for one id
    python luna_mcp_client.py raw     LUNA CONFIG        the wire without the SDK: bad messages, versions, a vanishing client
"""

import asyncio
import json
import subprocess
import sys

from mcp import Client, MCPError, StdioServerParameters, types

CLIENT = types.Implementation(name="sdk-test-client", version="1.0")


def server(luna, config):
    return StdioServerParameters(command=luna, args=["--config", config, "mcp"])


def tool_result(r):
    texts = [c.text for c in r.content if getattr(c, "type", "") == "text"]
    out = {"isError": bool(r.is_error), "text": texts[0] if texts else "", "structured": r.structured_content}
    if not r.is_error:
        # The structured result is also given as its JSON text, for clients that read text only.
        out["jsonTextMatches"] = len(texts) == 2 and json.loads(texts[1]) == r.structured_content
    return out


async def session(luna, config, mode):
    return Client(server(luna, config), mode=mode, client_info=CLIENT, cache=None)


async def explore(luna, config, host):
    report = {"modes": {}}
    for mode in ["legacy", "2026-07-28", "auto"]:
        async with await session(luna, config, mode) as c:
            entry = {"protocolVersion": c.protocol_version}
            tools = await c.list_tools()
            entry["tools"] = {
                t.name: {
                    "annotations": t.annotations.model_dump(by_alias=True, exclude_none=True) if t.annotations else None,
                    "inputSchema": t.input_schema,
                    "hasOutputSchema": t.output_schema is not None,
                }
                for t in tools.tools
            }
            entry["resources"] = [r.uri for r in (await c.list_resources()).resources]
            entry["prompts"] = [p.name for p in (await c.list_prompts()).prompts]
            calls = {}
            calls["findings"] = tool_result(await c.call_tool("findings", {"host": host}))
            calls["scan"] = tool_result(await c.call_tool("scan", {"host": host}))
            calls["allowed"] = tool_result(await c.call_tool("allowed", {"host": host, "argv": ["/usr/bin/id"]}))
            calls["skills"] = tool_result(await c.call_tool("skills", {}))
            calls["references"] = tool_result(await c.call_tool("references", {"host": host}))
            calls["memory_search"] = tool_result(await c.call_tool("memory_search", {"query": "app"}))
            calls["proposal"] = tool_result(await c.call_tool("proposal", {"id": 999}))
            entry["calls"] = calls
            prompt = await c.get_prompt("recon", {"host": host})
            entry["recon"] = prompt.messages[0].content.text
            if entry["resources"]:
                read = await c.read_resource(entry["resources"][0])
                entry["read"] = {"uri": entry["resources"][0], "text": read.contents[0].text}
            report["modes"][mode] = entry
    return report


async def call(luna, config, name, arguments):
    async with await session(luna, config, "legacy") as c:
        await c.list_tools()
        return tool_result(await c.call_tool(name, arguments))


async def calls(luna, config, batch):
    """Several [name, arguments] calls on one connection (the stateless revision)."""
    async with await session(luna, config, "2026-07-28") as c:
        await c.list_tools()
        out = []
        for name, arguments in batch:
            try:
                out.append(tool_result(await c.call_tool(name, arguments)))
            except MCPError as e:  # the protocol's own refusal (an unknown tool)
                out.append({"error": {"code": e.code, "message": str(e)}})
        return out


def raw(luna, config):
    """Lines the SDK would never send, written straight to the process."""

    def exchange(lines, read=True):
        p = subprocess.Popen([luna, "--config", config, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        out, err = p.communicate(b"".join(lines), timeout=120)
        answers = [json.loads(l) for l in out.decode().splitlines() if l.strip()]
        return {"answers": answers, "status": p.returncode, "stderr": err.decode()[-2000:]}

    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "raw-client", "version": "1"}}

    def msg(obj):
        return (json.dumps(obj) + "\n").encode()

    report = {}
    report["malformed"] = exchange([
        b"{not json\n",
        msg([{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}]),
        msg({"jsonrpc": "1.0", "id": 2, "method": "tools/list"}),
        msg({"jsonrpc": "2.0", "id": None, "method": "tools/list"}),
        msg({"jsonrpc": "2.0", "id": 3, "method": "no/such/method", "params": {"_meta": meta}}),
        msg({"jsonrpc": "2.0", "id": 4, "method": "tools/list"}),
        msg({"jsonrpc": "2.0", "id": 5, "method": "tools/list", "params": {"_meta": dict(meta, **{"io.modelcontextprotocol/protocolVersion": "1999-01-01"})}}),
        msg({"jsonrpc": "2.0", "id": 6, "method": "tools/list", "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}}),
        b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"findings","arguments":{"host":"' + b"x" * (2 << 20) + b'"}}}\n',
        msg({"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {"_meta": meta, "name": "approve", "arguments": {"id": 1}}}),
        msg({"jsonrpc": "2.0", "id": 9, "method": "resources/read", "params": {"_meta": meta, "uri": "luna://references/../../etc/passwd"}}),
        msg({"jsonrpc": "2.0", "id": 10, "method": "server/discover", "params": {"_meta": meta}}),
        msg({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}),
    ])
    report["legacy"] = exchange([
        msg({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "old", "version": "1"}}}),
        msg({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        msg({"jsonrpc": "2.0", "id": 2, "method": "ping"}),
        msg({"jsonrpc": "2.0", "id": 3, "method": "resources/read", "params": {"uri": "luna://nothing"}}),
        msg({"jsonrpc": "2.0", "id": 4, "method": "initialize", "params": {"protocolVersion": "1999-01-01", "capabilities": {}, "clientInfo": {"name": "old", "version": "1"}}}),
    ])
    # A client that vanishes mid-call: it sends a call and closes both pipes at once.
    p = subprocess.Popen([luna, "--config", config, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.write(msg({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"_meta": meta, "name": "suggest_note", "arguments": {"title": "vanishing client", "body": "written before it left"}}}))
    p.stdin.flush()
    p.stdin.close()
    p.stdout.close()
    status = p.wait(timeout=120)
    report["vanished"] = {"status": status, "stderr": p.stderr.read().decode()[-2000:]}
    return report


def main():
    phase, luna, config = sys.argv[1], sys.argv[2], sys.argv[3]
    if phase == "explore":
        out = asyncio.run(explore(luna, config, sys.argv[4]))
    elif phase == "propose":
        out = asyncio.run(call(luna, config, "propose", json.loads(sys.argv[4])))
    elif phase == "calls":
        out = asyncio.run(calls(luna, config, json.loads(sys.argv[4])))
    elif phase == "follow":
        out = asyncio.run(call(luna, config, "proposal", {"id": int(sys.argv[4])}))
    elif phase == "raw":
        out = raw(luna, config)
    else:
        raise SystemExit("unknown phase " + phase)
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
