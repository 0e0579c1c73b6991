import { mount } from 'svelte';
import './styles.css';
import App from './App.svelte';
import { applyTheme } from './lib/theme.ts';

applyTheme();
const target = document.getElementById('app');
if (!target) throw new Error('Parley: #app is missing from index.html');
export default mount(App, { target });
