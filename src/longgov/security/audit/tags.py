"""Human-readable names of audit tags for the audit browser."""

TAG_TITLES: dict[str, str] = {
    "identity:account:locked": "账号锁定",
    "identity:account:unlock": "账号解锁",
    "identity:enterprise:register": "法人注册",
    "identity:organisations:sync": "机构同步",
    "identity:person:read": "查看自然人信息",
    "identity:person:register": "自然人注册",
    "identity:person:unmask": "查看完整个人信息",
    "identity:role:assign": "分配角色",
    "identity:session:login": "登录成功",
    "identity:session:login-failed": "登录失败",
    "identity:session:logout": "退出登录",
    "identity:session:password-ok": "密码验证通过",
    "identity:session:second-factor-failed": "验证码错误",
    "identity:staff:create": "创建工作人员账号",
    "security:access:denied": "越权访问被拒绝",
    "audit:chain:verify": "校验审计链",
    "audit:events:read": "查看审计日志",
}
RESULT_TITLES = {"success": "成功", "failure": "失败", "denied": "拒绝"}
