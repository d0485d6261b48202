# Copyright (c) mmvseg contributors. All rights reserved.
