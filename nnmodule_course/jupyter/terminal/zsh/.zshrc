# zsh start-up (ZDOTDIR) of the course's JupyterLab terminals: your ~/.zshrc, then the
# course's Python first on PATH, so that `python -m autograder progress` uses it.
_course_zdotdir="${NNMODULE_COURSE_USER_ZDOTDIR:-$HOME}"
[ -r "$_course_zdotdir/.zshrc" ] && . "$_course_zdotdir/.zshrc"
if [ -n "$NNMODULE_COURSE_BIN" ]; then
    export PATH="$NNMODULE_COURSE_BIN:$PATH"
    rehash
    PS1="(nn.Module course) $PS1"
fi
ZDOTDIR="$_course_zdotdir"
unset _course_zdotdir
