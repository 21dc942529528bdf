"""Managing back-office users (administrators only): create, disable, enable, reset a password,
change a role; every change audited.

Uses the admin's state, guards and templating; must not import another route module."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from index.accounts import ROLES, AccountError
from search_web.admin.middleware import editor_name, guarded, posted_form
from search_web.admin.state import admin_state
from search_web.admin.templating import redirect, render


@guarded("admin")
async def users_page(request: Request) -> Response:
    users = await run_in_threadpool(admin_state(request).accounts.users)
    return render(request, "users.html", {"users": users, "roles": ROLES})


@guarded("admin")
async def create_user(request: Request) -> Response:
    form = posted_form(request)
    state = admin_state(request)
    user = await run_in_threadpool(
        state.accounts.create_user,
        str(form.get("username") or ""),
        str(form.get("role") or ""),
        str(form.get("password") or ""),
    )
    await run_in_threadpool(
        state.store.audit,
        editor_name(request),
        "user.create",
        f"user:{user.name}",
        None,
        {"role": user.role},
        "",
    )
    return redirect(request, "/users", notice="user")


@guarded("admin")
async def change_user(request: Request) -> Response:
    form = posted_form(request)
    state = admin_state(request)
    name = request.path_params["name"]
    change = str(form.get("change") or "")
    target = await run_in_threadpool(state.accounts.get_user, name)
    if target is None:
        raise HTTPException(404, "There is no such user.")
    if change in ("disable", "role") and target.name == editor_name(request):
        raise AccountError("you cannot disable yourself or change your own role")
    if change == "disable":
        await run_in_threadpool(state.accounts.set_disabled, target.name, True)
        notice, after = "disabled", {"disabled": True}
    elif change == "enable":
        await run_in_threadpool(state.accounts.set_disabled, target.name, False)
        notice, after = "enabled", {"disabled": False}
    elif change == "password":
        await run_in_threadpool(
            state.accounts.set_password, target.name, str(form.get("password") or "")
        )
        notice, after = "password", {"password": "changed"}
    elif change == "role":
        role = str(form.get("role") or "")
        await run_in_threadpool(state.accounts.set_role, target.name, role)
        notice, after = "user", {"role": role}
    else:
        raise AccountError(f"unknown change {change!r}")
    await run_in_threadpool(
        state.store.audit,
        editor_name(request),
        f"user.{change}",
        f"user:{target.name}",
        None,
        after,
        "",
    )
    return redirect(request, "/users", notice=notice)
