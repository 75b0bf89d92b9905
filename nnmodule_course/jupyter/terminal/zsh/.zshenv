# zsh start-up (ZDOTDIR) of the course's JupyterLab terminals (see nnmodule_course/lab.py).
_course_zdotdir="${NNMODULE_COURSE_USER_ZDOTDIR:-$HOME}"
[ -r "$_course_zdotdir/.zshenv" ] && . "$_course_zdotdir/.zshenv"
