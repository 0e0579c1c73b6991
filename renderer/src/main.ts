import { mount } from 'svelte';
import './styles.css';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('Parley: #app is missing from index.html');
export default mount(App, { target });
